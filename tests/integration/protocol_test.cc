// The wire protocol through a real socket: pipelining, inline commands, any split of the input,
// protocol errors (answered, then the connection closes), RESP3 after HELLO 3, and limits.
#include <doctest/doctest.h>

#include <string>

#include "resp/command_encoder.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

std::string Encode(const std::vector<std::string>& args) {
  std::vector<std::string_view> v(args.begin(), args.end());
  std::string out;
  runnel::resp::EncodeCommand(&out, v);
  return out;
}

}  // namespace

TEST_CASE("a pipeline of a thousand commands in one write gets every reply in order") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  std::string batch;
  for (int i = 1; i <= 1000; ++i) {
    batch += Encode({"XADD", "s", std::to_string(i) + "-1", "n", std::to_string(i)});
  }
  c.Send(batch);
  for (int i = 1; i <= 1000; ++i) {
    Reply r = c.Read();
    REQUIRE(r.str == std::to_string(i) + "-1");
  }
  CHECK(c.Call({"XLEN", "s"}).integer == 1000);
}

TEST_CASE("a command written one byte at a time is parsed like a whole one") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  std::string cmd = Encode({"XADD", "s", "5-5", "field", "value with\r\nnewline"});
  for (char ch : cmd) c.Send(std::string(1, ch));
  CHECK(c.Read().str == "5-5");
  Reply range = c.Call({"XRANGE", "s", "-", "+"});
  REQUIRE(range.elements.size() == 1);
  CHECK(range.elements[0].elements[1].elements[1].str == "value with\r\nnewline");
}

TEST_CASE("inline commands work as nc and telnet send them") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Send("PING\r\n");
  CHECK(c.ReadRaw() == "+PONG\r\n");
  c.Send("XADD s 1-1 greeting \"hello world\"\n");
  CHECK(c.ReadRaw() == "$3\r\n1-1\r\n");
  // Empty lines are skipped; a closing quote glued to more text is an error, as in Redis.
  c.Send("\r\n\r\nECHO 'it''s'\r\n");
  std::string raw = c.ReadRaw();
  CHECK(raw == "-ERR Protocol error: unbalanced quotes in request\r\n");
  CHECK(c.WaitClosed());
}

TEST_CASE("protocol errors are answered exactly as Redis answers them and close the connection") {
  ServerProcess server;
  REQUIRE(server.Start());
  struct Case {
    std::string input, reply;
  };
  for (const Case& k : {Case{"*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
                        Case{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
                        Case{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"}}) {
    RawClient c(server.port());
    c.Send("PING\r\n" + k.input);
    CHECK(c.ReadRaw() == "+PONG\r\n");  // what came before the error still runs
    CHECK(c.ReadRaw() == k.reply);
    CHECK(c.WaitClosed());
  }
  // The server is unharmed.
  RawClient ok(server.port());
  CHECK(ok.Call({"PING"}).str == "PONG");
}

TEST_CASE("a bulk longer than proto-max-bulk-len is refused without allocating it") {
  ServerProcess server({"--proto-max-bulk-len", "1mb"});
  REQUIRE(server.Start());
  RawClient c(server.port());
  c.Send("*2\r\n$4\r\nECHO\r\n$1048577\r\n");
  CHECK(c.ReadRaw() == "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(c.WaitClosed());
  // A declared length under the limit but never sent only holds what arrived.
  RawClient d(server.port());
  d.Send("*2\r\n$4\r\nECHO\r\n$1048576\r\nabc");
  RawClient e(server.port());
  Reply list = e.Call({"CLIENT", "LIST"});
  CHECK(list.str.find("qbuf=") != std::string::npos);
  CHECK(e.Call({"PING"}).str == "PONG");
}

TEST_CASE("RESP3 after HELLO 3: maps, nulls and the XREAD map reply") {
  ServerProcess server;
  REQUIRE(server.Start());
  RawClient c(server.port());
  Reply hello = c.Call({"HELLO", "3"});
  REQUIRE(hello.type == Reply::Type::kMap);
  CHECK(hello.elements[0].str == "server");
  CHECK(hello.elements[5].integer == 3);  // proto
  c.Call({"XADD", "s", "1-1", "a", "1"});
  c.SendCommand({"XREAD", "STREAMS", "s", "0"});
  std::string raw = c.ReadRaw();
  CHECK(raw.substr(0, 4) == "%1\r\n");
  c.SendCommand({"XREAD", "STREAMS", "s", "$"});
  CHECK(c.ReadRaw() == "_\r\n");
  c.SendCommand({"GET", "missing"});
  CHECK(c.ReadRaw() == "_\r\n");
  Reply info = c.Call({"XINFO", "STREAM", "s"});
  CHECK(info.type == Reply::Type::kMap);
  c.SendCommand({"HELLO", "2"});
  c.ReadRaw();
  c.SendCommand({"GET", "missing"});
  CHECK(c.ReadRaw() == "$-1\r\n");
}

TEST_CASE("requirepass: NOAUTH until AUTH, small limits before it") {
  ServerProcess server({"--requirepass", "s3cret"});
  REQUIRE(server.Start());
  RawClient c(server.port());
  CHECK(c.Call({"XLEN", "s"}).str == "NOAUTH Authentication required.");
  CHECK(c.Call({"AUTH", "wrong"}).str ==
        "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(c.Call({"AUTH", "s3cret"}).str == "OK");
  CHECK(c.Call({"XLEN", "s"}).integer == 0);

  RawClient h(server.port());
  Reply hello = h.Call({"HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "worker"});
  CHECK(hello.type == Reply::Type::kMap);
  CHECK(h.Call({"CLIENT", "GETNAME"}).str == "worker");

  RawClient big(server.port());
  big.Send("*11\r\n");
  CHECK(big.ReadRaw() == "-ERR Protocol error: unauthenticated multibulk length\r\n");
  CHECK(big.WaitClosed());
}
