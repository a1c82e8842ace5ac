// The status page on the metrics port against the real binary: /status.json's rows, sums,
// cap and escaping; the history the cron samples; and the page itself rendered by headless
// Chromium (Debian's chromium package, which tools/test installs): assertions on the DOM its
// script builds from /status.json, behind Basic auth too, and a screenshot of known size.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "http_client.h"
#include "server_process.h"

using namespace runnel::testing;

namespace {

// A stream and group name that would be markup if a page pasted it in, with a byte that is not
// UTF-8.
const std::string kOddStream = "<b id=\"pwned\">x</b>&\"\xff";
const std::string kOddGroup = "g<&>";

// The known state: orders (5 entries) with billing (3 delivered, 1 acked: lag 2, pending 2) and
// audit (nothing read: lag 5); jobs (3 entries) with workers, whose delivery limit of 1 sends
// 1-1 to jobs:dead when it is claimed (lag 1, pending 1, dead-lettered 1); the odd names
// (lag 1).
void BuildKnownState(RawClient& c) {
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(c.Call({"XADD", "orders", std::to_string(i) + "-1", "n", std::to_string(i)}).str ==
            std::to_string(i) + "-1");
  }
  REQUIRE(c.Call({"XGROUP", "CREATE", "orders", "billing", "0"}).str == "OK");
  REQUIRE(c.Call({"XGROUP", "CREATE", "orders", "audit", "0"}).str == "OK");
  REQUIRE(
      c.Call({"XREADGROUP", "GROUP", "billing", "alice", "COUNT", "3", "STREAMS", "orders", ">"})
          .elements.size() == 1);
  REQUIRE(c.Call({"XACK", "orders", "billing", "1-1"}).integer == 1);

  for (int i = 1; i <= 3; ++i) {
    REQUIRE(c.Call({"XADD", "jobs", std::to_string(i) + "-1", "job", std::to_string(i)}).str ==
            std::to_string(i) + "-1");
  }
  REQUIRE(c.Call({"XGROUP", "CREATE", "jobs", "workers", "0"}).str == "OK");
  REQUIRE(c.Call({"XGROUP", "SETPOLICY", "jobs", "workers", "MAXDELIVERIES", "1", "DEADLETTER",
                  "jobs:dead"})
              .str == "OK");
  REQUIRE(c.Call({"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "2", "STREAMS", "jobs", ">"})
              .elements.size() == 1);
  c.Call({"XCLAIM", "jobs", "workers", "w2", "0", "1-1"});  // past the limit: dead-lettered
  REQUIRE(c.Call({"XLEN", "jobs:dead"}).integer == 1);

  REQUIRE(c.Call({"XADD", kOddStream, "1-1", "f", "v"}).str == "1-1");
  REQUIRE(c.Call({"XGROUP", "CREATE", kOddStream, kOddGroup, "0"}).str == "OK");
}

bool HaveChromium() {
  std::string out;
  return Shell("command -v chromium", &out) == 0;
}

// Runs headless Chromium on the page; `what` is --dump-dom or --screenshot=...; returns stdout.
std::string Chromium(const ServerProcess& server, const std::string& url, const std::string& what) {
  const std::string profile = server.dir() + "/chromium";
  const std::string out_file = server.dir() + "/chromium.out";
  std::string log;
  const int rc = Shell("(HOME='" + server.dir() +
                           "' timeout 60 chromium --headless --no-sandbox "
                           "--disable-gpu --user-data-dir='" +
                           profile + "' --virtual-time-budget=5000 " + what + " '" + url + "' > '" +
                           out_file + "' 2> '" + server.dir() + "/chromium.err')",
                       &log);
  CHECK_MESSAGE(rc == 0, log);
  std::ifstream in(out_file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The <tr> of a group row, found by its data- attributes as the page serialises them.
std::string Row(const std::string& dom, const std::string& stream, const std::string& group) {
  const std::string key = "data-stream=\"" + stream + "\" data-group=\"" + group + "\"";
  const size_t at = dom.find(key);
  if (at == std::string::npos) return "";
  return dom.substr(at, dom.find("</tr>", at) - at);
}

// The text of the row's cell of that class ("" when absent).
// (Searched by hand: GCC 12's <regex> trips -Wmaybe-uninitialized in the sanitizer build.)
std::string Cell(const std::string& row, const std::string& cls) {
  const size_t at = row.find("<td class=\"" + cls);
  if (at == std::string::npos) return "";
  const size_t open_end = row.find('>', at);
  const size_t close = row.find("</td>", open_end);
  if (open_end == std::string::npos || close == std::string::npos) return "";
  return row.substr(open_end + 1, close - open_end - 1);
}

// The numbers of a JSON array field such as "added":[1,null,2] (null as -1).
std::vector<double> Series(const std::string& json, const std::string& field) {
  std::vector<double> out;
  const size_t at = json.find("\"" + field + "\":[");
  if (at == std::string::npos) return out;
  size_t i = json.find('[', at) + 1;
  const size_t end = json.find(']', i);
  while (i < end) {
    size_t comma = json.find(',', i);
    if (comma == std::string::npos || comma > end) comma = end;
    const std::string item = json.substr(i, comma - i);
    out.push_back(item == "null" ? -1 : std::stod(item));
    i = comma + 1;
  }
  return out;
}

// Waits until the history holds at least n samples (status-sample-interval 1 makes that quick).
bool WaitSamples(int mport, size_t n) {
  return WaitFor([&] { return Series(Body(Get(mport, "/status.json")), "time_ms").size() >= n; },
                 10000);
}

void StartLoaded(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

}  // namespace

TEST_CASE("Status page: /status.json has the rows, the sums and escaped names") {
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--metrics-port", std::to_string(mport)});
  StartLoaded(server);
  RawClient c(server.port());
  BuildKnownState(c);

  const std::string response = Get(mport, "/status.json");
  CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Has(response, "Content-Type: application/json\r\n"));
  const std::string json = Body(response);
  CHECK(Has(json,
            "\"streams\":4,\"groups\":4,\"total_lag\":9,\"total_pending\":3,"
            "\"total_dead_lettered\":1,"));
  CHECK(Has(json, "\"omitted\":0,"));
  CHECK(Has(json,
            "{\"db\":0,\"stream\":\"orders\",\"group\":\"billing\",\"length\":5,\"lag\":2,"
            "\"pending\":2,\"oldest_pending_s\":"));
  CHECK(Has(json,
            "{\"db\":0,\"stream\":\"orders\",\"group\":\"audit\",\"length\":5,\"lag\":5,"
            "\"pending\":0,\"oldest_pending_s\":0,\"dead_lettered\":0,\"consumers\":0,"));
  CHECK(Has(json,
            "{\"db\":0,\"stream\":\"jobs\",\"group\":\"workers\",\"length\":3,\"lag\":1,"
            "\"pending\":1,\"oldest_pending_s\":"));
  CHECK(Has(json, "\"dead_lettered\":1,\"consumers\":2,"));
  CHECK(Has(json, "{\"db\":0,\"stream\":\"jobs:dead\",\"group\":null,\"length\":1}"));
  // <, > and & as \u escapes, " and \ escaped, the byte 0xFF as the characters \xFF.
  CHECK(Has(json,
            "\"stream\":\"\\u003cb id=\\\"pwned\\\"\\u003ex\\u003c/b\\u003e\\u0026\\\"\\\\xFF\","
            "\"group\":\"g\\u003c\\u0026\\u003e\""));
  // Largest lag first: audit (5), billing (2), then the lag-1 groups, then jobs:dead.
  CHECK(json.find("\"group\":\"audit\"") < json.find("\"group\":\"billing\""));
  CHECK(json.find("\"group\":\"billing\"") < json.find("\"group\":\"workers\""));
  CHECK(json.find("\"group\":\"workers\"") < json.find("\"group\":null"));
  // The page and the 404 for the rest.
  const std::string page = Get(mport, "/");
  CHECK(page.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Has(page, "Content-Type: text/html; charset=utf-8\r\n"));
  CHECK(Has(page, "<table id=\"groups\">"));
  for (const char* external : {"src=", "href=", "<link", "url(", "@import"}) {
    CHECK_MESSAGE(!Has(Body(page), external), external);  // nothing is fetched from elsewhere
  }
  CHECK(Get(mport, "/nope").rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
}

TEST_CASE("Status page: the table is capped at metrics-max-series, largest lag kept") {
  const int mport = FreePort();
  ServerProcess server(
      {"--save", "", "--metrics-port", std::to_string(mport), "--metrics-max-series", "2"});
  StartLoaded(server);
  RawClient c(server.port());
  BuildKnownState(c);
  const std::string json = Body(Get(mport, "/status.json"));
  CHECK(Has(json, "\"max_rows\":2,\"omitted\":3,"));
  CHECK(Has(json, "\"group\":\"audit\""));
  CHECK(Has(json, "\"group\":\"billing\""));
  CHECK(!Has(json, "\"group\":\"workers\""));
  CHECK(Has(json, "\"streams\":4,\"groups\":4,\"total_lag\":9,"));  // the sums count them all
}

TEST_CASE("Status page: the cron samples the history the charts draw") {
  const int mport = FreePort();
  ServerProcess server(
      {"--save", "", "--metrics-port", std::to_string(mport), "--status-sample-interval", "1"});
  StartLoaded(server);
  RawClient c(server.port());
  BuildKnownState(c);
  // Entries added between samples show as a rate; the groups' series are kept.
  std::string json;
  bool added = false;
  for (int i = 0; i < 60 && !added; ++i) {
    REQUIRE(c.Call({"XADD", "orders", "*", "n", "more"}).type == runnel::resp::Reply::Type::kBulk);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    json = Body(Get(mport, "/status.json"));
    for (double v : Series(json, "added")) added = added || v > 0;
  }
  CHECK_MESSAGE(added, json);
  const std::vector<double> times = Series(json, "time_ms");
  REQUIRE(times.size() >= 2);
  CHECK(times.back() - times.front() >= 900);
  CHECK(Series(json, "added").front() == -1);  // no rate before the first sample
  CHECK(Series(json, "lag").back() >= 9);
  CHECK(Has(json, "{\"db\":0,\"stream\":\"orders\",\"group\":\"audit\",\"lag\":["));
  CHECK(Has(json, "\"capacity\":360,"));
  CHECK(Has(json, "\"sampler\":{\"walks\":"));
}

TEST_CASE("Status page: headless Chromium renders the table and the charts") {
  if (!HaveChromium()) {
    MESSAGE("chromium is not installed: skipped (tools/test installs it)");
    return;
  }
  const int mport = FreePort();
  ServerProcess server(
      {"--save", "", "--metrics-port", std::to_string(mport), "--status-sample-interval", "1"});
  StartLoaded(server);
  RawClient c(server.port());
  BuildKnownState(c);
  REQUIRE(WaitSamples(mport, 3));  // so each chart has lines to draw
  const std::string url = "http://127.0.0.1:" + std::to_string(mport) + "/";
  const std::string dom = Chromium(server, url, "--dump-dom");
  INFO(dom);
  const std::string billing = Row(dom, "orders", "billing");
  REQUIRE(!billing.empty());
  CHECK(Cell(billing, "lag") == "2");
  CHECK(Cell(billing, "pending") == "2");
  CHECK(Cell(billing, "dead") == "0");
  CHECK(Cell(billing, "consumers") == "1");
  CHECK(Has(Cell(billing, "oldest"), " s"));
  const std::string audit = Row(dom, "orders", "audit");
  CHECK(Cell(audit, "lag") == "5");
  CHECK(Cell(audit, "pending") == "0");
  const std::string workers = Row(dom, "jobs", "workers");
  CHECK(Cell(workers, "lag") == "1");
  CHECK(Cell(workers, "pending") == "1");
  CHECK(Cell(workers, "dead") == "1");
  CHECK(Has(dom, "data-stream=\"jobs:dead\""));
  CHECK(Has(dom, "<b id=\"total-dead\">1</b>"));
  CHECK(Has(dom, "<b id=\"total-lag\">9</b>"));
  // The odd name is text, never markup: no element came out of it.
  CHECK(!Has(dom, "<b id=\"pwned\">"));
  CHECK(Has(dom, "<td class=\"stream\">&lt;b id=\"pwned\"&gt;x&lt;/b&gt;&amp;\"\\xFF</td>"));
  CHECK(Has(dom, "<td class=\"group\">g&lt;&amp;&gt;</td>"));
  // The charts: an svg each, with a drawn path per series.
  for (const std::string id : {"chart-lag", "chart-throughput"}) {
    const size_t at = dom.find("<svg id=\"" + id + "\"");
    REQUIRE(at != std::string::npos);
    const std::string svg = dom.substr(at, dom.find("</svg>", at) - at);
    CHECK(Has(svg, "<path class=\"line "));
    CHECK(Has(svg, " d=\"M"));
  }
  CHECK(Has(dom, "data-series=\"lag\""));
  CHECK(Has(dom, "data-series=\"acknowledged\""));
  CHECK(Has(dom, "<div id=\"error\" role=\"alert\"></div>"));

  // A screenshot of the page at this state: a PNG of the window's size.
  const std::string png_path = server.dir() + "/status.png";
  Chromium(server, url, "--screenshot='" + png_path + "' --window-size=1200,900 --hide-scrollbars");
  std::ifstream in(png_path, std::ios::binary);
  const std::string png(std::istreambuf_iterator<char>(in), {});
  REQUIRE(png.size() > 24);
  CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  CHECK(png.substr(12, 4) == "IHDR");
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  CHECK(be32(16) == 1200);
  CHECK(be32(20) == 900);
}

TEST_CASE("Status page: behind requirepass, the page and its data need the password") {
  if (!HaveChromium()) {
    MESSAGE("chromium is not installed: skipped (tools/test installs it)");
    return;
  }
  const int mport = FreePort();
  ServerProcess server(
      {"--save", "", "--metrics-port", std::to_string(mport), "--requirepass", "s3cret"});
  REQUIRE(server.Start());
  CHECK(Get(mport, "/").rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  CHECK(Get(mport, "/status.json").rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  // The browser sends the credentials it was given for the page with the page's own fetch.
  const std::string dom = Chromium(
      server, "http://viewer:s3cret@127.0.0.1:" + std::to_string(mport) + "/", "--dump-dom");
  INFO(dom);
  CHECK(Has(dom, "<b id=\"streams\">0</b>"));
  CHECK(Has(dom, "<div id=\"error\" role=\"alert\"></div>"));
}
