#include "resp/reply_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace runnel::resp {
namespace {

// Appends `prefix`, the decimal form of `v`, then "\r\n".
template <typename Int>
void AppendNumberLine(std::string* out, char prefix, Int v) {
  char buf[24];
  buf[0] = prefix;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf), v);
  (void)ec;
  out->append(buf, static_cast<size_t>(end - buf));
  out->append("\r\n");
}

// Formats a double the way Redis does: "%.17g", with inf/-inf/nan spelled as Redis spells them.
std::string FormatDouble(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (std::isnan(d)) return "nan";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

void ReplyWriter::Simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::Error(std::string_view message) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyWriter::Integer(int64_t v) { AppendNumberLine(out_, ':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  AppendNumberLine(out_, '$', s.size());
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::BulkInt(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void ReplyWriter::BulkUnsigned(uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void ReplyWriter::Double(double d) {
  std::string s = FormatDouble(d);
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyWriter::DoubleText(std::string_view text) {
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool b) {
  if (protocol_ >= 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Null() { out_->append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(protocol_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::Header(char type, size_t n) { AppendNumberLine(out_, type, n); }

void ReplyWriter::Array(size_t n) { Header('*', n); }

void ReplyWriter::Map(size_t n) {
  if (protocol_ >= 3) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void ReplyWriter::Set(size_t n) { Header(protocol_ >= 3 ? '~' : '*', n); }

void ReplyWriter::Push(size_t n) { Header(protocol_ >= 3 ? '>' : '*', n); }

void ReplyWriter::Verbatim(std::string_view text) {
  if (protocol_ >= 3) {
    AppendNumberLine(out_, '=', text.size() + 4);
    out_->append("txt:");
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Pairs(size_t n) { Header(protocol_ >= 3 ? '%' : '*', n); }

void ReplyWriter::Pair() {
  if (protocol_ < 3) out_->append("*2\r\n");
}

void ReplyWriter::InsertHeader(Deferred d, char type, size_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;
  end[0] = '\r';
  end[1] = '\n';
  out_->insert(d.position, buf, static_cast<size_t>(end + 2 - buf));
}

void ReplyWriter::EndArray(Deferred d, size_t n) { InsertHeader(d, '*', n); }

void ReplyWriter::EndMap(Deferred d, size_t n) {
  if (protocol_ >= 3) {
    InsertHeader(d, '%', n);
  } else {
    InsertHeader(d, '*', n * 2);
  }
}

void ReplyWriter::EndPairs(Deferred d, size_t n) { InsertHeader(d, protocol_ >= 3 ? '%' : '*', n); }

void ReplyWriter::EndSet(Deferred d, size_t n) { InsertHeader(d, protocol_ >= 3 ? '~' : '*', n); }

}  // namespace runnel::resp
