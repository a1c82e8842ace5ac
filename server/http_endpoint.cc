#include "server/http_endpoint.h"

#include <http_parser.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace runnel::server {
namespace {

std::string_view StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
  }
}

// RFC 4648 base64, for the Basic credentials; nullopt-like empty result on bad input.
std::string DecodeBase64(std::string_view in, bool* ok) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  *ok = true;
  // Padding may only end the text: '=' then nothing but '='.
  const size_t pad = in.find('=');
  if (pad != std::string_view::npos) {
    if (in.find_first_not_of('=', pad) != std::string_view::npos || in.size() - pad > 2) {
      *ok = false;
      return {};
    }
    in = in.substr(0, pad);
  }
  for (char c : in) {
    int v = value(c);
    if (v < 0) {
      *ok = false;
      return {};
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool IEqualsAscii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

// One accepted socket. It lives until its handle's close callback: libuv runs the callbacks of
// writes still queued (cancelled) before that one, so nothing they touch is gone.
class HttpEndpoint::Connection {
 public:
  explicit Connection(HttpEndpoint* endpoint) : endpoint_(endpoint) {
    tcp_.data = this;
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
  }

  bool Accept(uv_stream_t* listener) {
    if (uv_tcp_init(endpoint_->loop_, &tcp_) != 0) return false;
    initialised_ = true;
    last_active_ms_ = uv_now(endpoint_->loop_);
    if (uv_accept(listener, Stream()) != 0) return false;
    return uv_read_start(Stream(), OnAlloc, OnRead) == 0;
  }

  // Closes the socket; when the close completes the endpoint forgets (deletes) this object.
  void Close() {
    if (closing_) return;
    closing_ = true;
    if (!initialised_) {
      Closed();
      return;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
             [](uv_handle_t* h) { static_cast<Connection*>(h->data)->Closed(); });
  }

  void Detach() { endpoint_ = nullptr; }  // the endpoint is going away; delete self on close
  uint64_t last_active_ms() const { return last_active_ms_; }

 private:
  struct WriteRequest {
    uv_write_t req;
    std::string head, body;  // written as buffers of their own: a large body is never copied
    std::vector<std::string> parts;
  };

  uv_stream_t* Stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  void Closed() {
    if (endpoint_ != nullptr) {
      endpoint_->Forget(this);  // deletes this
    } else {
      delete this;
    }
  }

  static void OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<Connection*>(h->data);
    buf->base = self->read_buffer_;
    buf->len = sizeof(self->read_buffer_);
  }

  static void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* self = static_cast<Connection*>(s->data);
    if (n < 0) return self->Close();
    if (n == 0 || self->closing_) return;
    self->last_active_ms_ = uv_now(self->endpoint_->loop_);
    self->head_bytes_ += static_cast<size_t>(n);
    if (self->head_bytes_ > kMaxHead) return self->Refuse({431, "text/plain", "too large\n"});
    size_t parsed = http_parser_execute(&self->parser_, &Settings(), buf->base,
                                        static_cast<size_t>(n));
    if (self->closing_) return;
    if (parsed != static_cast<size_t>(n) || HTTP_PARSER_ERRNO(&self->parser_) != HPE_OK) {
      self->Refuse({400, "text/plain", "bad request\n"});
    }
  }

  // A request that cannot be parsed: answered after the requests before it (one may still be
  // with the handler), then the connection closes; nothing more is read.
  void Refuse(HttpResponse r) {
    uv_read_stop(Stream());
    Request bad;
    bad.early = std::move(r);
    bad.keep_alive = false;
    queue_.push_back(std::move(bad));
    if (!busy_) Next();
  }

  static const http_parser_settings& Settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings s{};
      s.on_message_begin = [](http_parser* p) {
        auto* self = static_cast<Connection*>(p->data);
        self->url_.clear();
        self->authorization_.clear();
        self->field_.clear();
        return 0;
      };
      s.on_url = [](http_parser* p, const char* at, size_t n) {
        static_cast<Connection*>(p->data)->url_.append(at, n);
        return 0;
      };
      s.on_header_field = [](http_parser* p, const char* at, size_t n) {
        auto* self = static_cast<Connection*>(p->data);
        if (self->in_value_) self->field_.clear();
        self->in_value_ = false;
        self->field_.append(at, n);
        return 0;
      };
      s.on_header_value = [](http_parser* p, const char* at, size_t n) {
        auto* self = static_cast<Connection*>(p->data);
        self->in_value_ = true;
        if (IEqualsAscii(self->field_, "authorization")) self->authorization_.append(at, n);
        return 0;
      };
      s.on_message_complete = [](http_parser* p) {
        static_cast<Connection*>(p->data)->Complete();
        return 0;
      };
      return s;
    }();
    return settings;
  }

  // A parsed request, waiting its turn (pipelined requests are answered in order).
  struct Request {
    std::string path;
    bool head = false, keep_alive = true;
    HttpResponse early;  // status != 0: answered without the handler (405, 401)
    std::string extra_headers;
  };

  void Complete() {
    head_bytes_ = 0;
    endpoint_->requests_++;
    Request r;
    r.keep_alive = http_should_keep_alive(&parser_) != 0;
    const auto method = static_cast<http_method>(parser_.method);
    r.head = method == HTTP_HEAD;
    r.early.status = 0;
    if (method != HTTP_GET && method != HTTP_HEAD) {
      r.early = {405, "text/plain", "only GET and HEAD\n"};
      r.extra_headers = "Allow: GET, HEAD\r\n";
    } else if (!endpoint_->Authorized(authorization_)) {
      r.early = {401, "text/plain", "requirepass is set: use HTTP Basic auth\n"};
      r.extra_headers = "WWW-Authenticate: Basic realm=\"runnel\"\r\n";
    }
    r.path = url_.substr(0, url_.find('?'));
    queue_.push_back(std::move(r));
    if (!busy_) Next();
  }

  // Answers queued requests until one waits for the handler.
  void Next() {
    while (!queue_.empty() && !busy_ && !closing_) {
      if (close_after_write_) {  // an earlier request asked to close: nothing after it counts
        queue_.clear();
        return;
      }
      Request r = std::move(queue_.front());
      queue_.pop_front();
      if (r.early.status != 0) {
        head_only_ = r.head;
        Respond(std::move(r.early), r.keep_alive, r.extra_headers);
        continue;
      }
      busy_ = true;
      std::weak_ptr<int> alive = alive_;
      const bool head = r.head, keep = r.keep_alive;
      auto send = [this, head, keep](HttpResponse h) {  // called only while connected
        busy_ = false;
        head_only_ = head;
        Respond(std::move(h), keep);
        Next();
      };
      endpoint_->handler_(r.path, HttpResponder(std::move(send), alive));
    }
  }

  void Respond(HttpResponse r, bool keep_alive, std::string_view extra_headers = {}) {
    auto* w = new WriteRequest;
    size_t length = r.body.size();
    for (const std::string& part : r.parts) length += part.size();
    w->head = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(StatusText(r.status)) +
              "\r\nContent-Type: " + r.content_type +
              "\r\nContent-Length: " + std::to_string(length) + "\r\n" +
              std::string(extra_headers) + (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
    if (!head_only_) {
      w->body = std::move(r.body);
      w->parts = std::move(r.parts);
    }
    head_only_ = false;
    w->req.data = this;
    std::vector<uv_buf_t> bufs;
    auto add = [&bufs](std::string& s) {
      if (!s.empty()) bufs.push_back(uv_buf_init(s.data(), static_cast<unsigned>(s.size())));
    };
    add(w->head);
    add(w->body);
    for (std::string& part : w->parts) add(part);
    close_after_write_ = close_after_write_ || !keep_alive;
    ++writes_;
    if (uv_write(&w->req, Stream(), bufs.data(), static_cast<unsigned>(bufs.size()), OnWritten) !=
        0) {
      delete w;
      --writes_;
      Close();
    }
  }

  static void OnWritten(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<WriteRequest*>(req);
    auto* self = static_cast<Connection*>(req->data);
    delete w;
    --self->writes_;
    if (status < 0 || (self->close_after_write_ && self->writes_ == 0)) self->Close();
  }

  HttpEndpoint* endpoint_;
  uv_tcp_t tcp_{};
  bool initialised_ = false, closing_ = false;
  http_parser parser_{};
  char read_buffer_[4096];
  size_t head_bytes_ = 0;
  std::string url_, field_, authorization_;
  bool in_value_ = false, head_only_ = false, close_after_write_ = false, busy_ = false;
  std::deque<Request> queue_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // responders hold it weakly
  int writes_ = 0;
  uint64_t last_active_ms_ = 0;
};

HttpEndpoint::HttpEndpoint(uv_loop_t* loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)) {}

HttpEndpoint::~HttpEndpoint() {
  for (auto& [raw, owned] : connections_) {
    Connection* c = owned.release();
    c->Detach();
    c->Close();
  }
}

bool HttpEndpoint::Listen(const std::string& address, int port, std::string* error) {
  sockaddr_storage ss{};
  const bool v6 = address.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss))
              : uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss));
  if (rc == 0) rc = uv_tcp_init(loop_, listener_.get());
  if (rc == 0) {
    listener_.MarkInitialised();
    listener_.get()->data = this;
    rc = uv_tcp_bind(listener_.get(), reinterpret_cast<sockaddr*>(&ss), 0);
  }
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 64, OnAccept);
  if (rc != 0) {
    *error = "could not listen on " + address + ":" + std::to_string(port) + ": " +
             uv_strerror(rc);
    return false;
  }
  return true;
}

void HttpEndpoint::OnAccept(uv_stream_t* listener, int status) {
  auto* self = static_cast<HttpEndpoint*>(listener->data);
  if (status < 0) return;
  auto conn = std::make_unique<Connection>(self);
  Connection* raw = conn.get();
  self->connections_.emplace(raw, std::move(conn));
  if (!raw->Accept(listener) || self->connections_.size() > kMaxConnections) raw->Close();
}

void HttpEndpoint::Forget(Connection* c) { connections_.erase(c); }

void HttpEndpoint::CloseIdle(uint64_t now_ms) {
  std::vector<Connection*> idle;
  for (auto& [raw, owned] : connections_) {
    if (now_ms - raw->last_active_ms() >= kIdleMs) idle.push_back(raw);
  }
  for (Connection* c : idle) c->Close();
}

bool HttpEndpoint::Authorized(std::string_view authorization) const {
  if (password_.empty()) return true;
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() < kBasic.size() ||
      !IEqualsAscii(authorization.substr(0, kBasic.size()), kBasic)) {
    return false;
  }
  bool ok = false;
  std::string credentials = DecodeBase64(authorization.substr(kBasic.size()), &ok);
  size_t colon = credentials.find(':');
  return ok && colon != std::string::npos && credentials.substr(colon + 1) == password_;
}

}  // namespace runnel::server
