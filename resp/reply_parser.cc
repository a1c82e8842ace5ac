#include "resp/reply_parser.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace runnel::resp {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  size_t pos() const { return pos_; }

  ParseReplyStatus Read(Reply* out, int depth) {
    if (depth > 64) return ParseReplyStatus::kMalformed;
    std::string_view line;
    if (auto s = Line(&line); s != ParseReplyStatus::kOk) return s;
    if (line.empty()) return ParseReplyStatus::kMalformed;
    char type = line[0];
    std::string_view body = line.substr(1);
    switch (type) {
      case '+':
        return Text(out, Reply::Type::kSimple, body);
      case '-':
        return Text(out, Reply::Type::kError, body);
      case '(':
        return Text(out, Reply::Type::kBigNumber, body);
      case ':': {
        out->type = Reply::Type::kInteger;
        return ToInt(body, &out->integer);
      }
      case ',': {
        out->type = Reply::Type::kDouble;
        out->str = std::string(body);
        out->dbl = std::strtod(out->str.c_str(), nullptr);
        return ParseReplyStatus::kOk;
      }
      case '#':
        out->type = Reply::Type::kBool;
        if (body != "t" && body != "f") return ParseReplyStatus::kMalformed;
        out->integer = body == "t";
        return ParseReplyStatus::kOk;
      case '_':
        out->type = Reply::Type::kNull;
        out->null_marker = '_';
        return body.empty() ? ParseReplyStatus::kOk : ParseReplyStatus::kMalformed;
      case '$':
      case '!':
      case '=':
        return Blob(out, type, body);
      case '*':
      case '%':
      case '~':
      case '>':
      case '|':
        return Aggregate(out, type, body, depth);
      default:
        return ParseReplyStatus::kMalformed;
    }
  }

 private:
  ParseReplyStatus Line(std::string_view* line) {
    const char* start = in_.data() + pos_;
    const void* cr = std::memchr(start, '\r', in_.size() - pos_);
    if (cr == nullptr) return ParseReplyStatus::kIncomplete;
    size_t len = static_cast<size_t>(static_cast<const char*>(cr) - start);
    if (pos_ + len + 2 > in_.size()) return ParseReplyStatus::kIncomplete;
    if (in_[pos_ + len + 1] != '\n') return ParseReplyStatus::kMalformed;
    *line = in_.substr(pos_, len);
    pos_ += len + 2;
    return ParseReplyStatus::kOk;
  }

  static ParseReplyStatus ToInt(std::string_view s, int64_t* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size() ? ParseReplyStatus::kOk
                                                         : ParseReplyStatus::kMalformed;
  }

  static ParseReplyStatus Text(Reply* out, Reply::Type type, std::string_view body) {
    out->type = type;
    out->str = std::string(body);
    return ParseReplyStatus::kOk;
  }

  ParseReplyStatus Blob(Reply* out, char type, std::string_view body) {
    int64_t len;
    if (ToInt(body, &len) != ParseReplyStatus::kOk) return ParseReplyStatus::kMalformed;
    if (len == -1 && type == '$') {
      out->type = Reply::Type::kNull;
      out->null_marker = '$';
      return ParseReplyStatus::kOk;
    }
    if (len < 0) return ParseReplyStatus::kMalformed;
    size_t n = static_cast<size_t>(len);
    if (pos_ + n + 2 > in_.size()) return ParseReplyStatus::kIncomplete;
    if (in_.substr(pos_ + n, 2) != "\r\n") return ParseReplyStatus::kMalformed;
    std::string_view data = in_.substr(pos_, n);
    pos_ += n + 2;
    if (type == '=') {
      if (data.size() < 4 || data[3] != ':') return ParseReplyStatus::kMalformed;
      return Text(out, Reply::Type::kVerbatim, data.substr(4));
    }
    return Text(out, type == '!' ? Reply::Type::kError : Reply::Type::kBulk, data);
  }

  ParseReplyStatus Aggregate(Reply* out, char type, std::string_view body, int depth) {
    int64_t n;
    if (ToInt(body, &n) != ParseReplyStatus::kOk) return ParseReplyStatus::kMalformed;
    if (n == -1 && type == '*') {
      out->type = Reply::Type::kNull;
      out->null_marker = '*';
      return ParseReplyStatus::kOk;
    }
    if (n < 0) return ParseReplyStatus::kMalformed;
    size_t count = static_cast<size_t>(n) * ((type == '%' || type == '|') ? 2 : 1);
    // Never trust a declared count for allocation: each element takes at least 3 bytes.
    if (count > (in_.size() - pos_) / 3 + 1) return ParseReplyStatus::kIncomplete;
    Reply agg;
    agg.type = type == '*'   ? Reply::Type::kArray
               : type == '~' ? Reply::Type::kSet
               : type == '>' ? Reply::Type::kPush
                             : Reply::Type::kMap;
    agg.elements.resize(count);
    for (auto& e : agg.elements) {
      if (auto s = Read(&e, depth + 1); s != ParseReplyStatus::kOk) return s;
    }
    if (type == '|') return Read(out, depth + 1);  // attributes: skip, return the real reply
    *out = std::move(agg);
    return ParseReplyStatus::kOk;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

void Render(const Reply& r, std::string* out) {
  switch (r.type) {
    case Reply::Type::kSimple:
      *out += r.str;
      break;
    case Reply::Type::kError:
      *out += "(error) " + r.str;
      break;
    case Reply::Type::kInteger:
      *out += "(integer) " + std::to_string(r.integer);
      break;
    case Reply::Type::kBulk:
    case Reply::Type::kVerbatim:
      *out += '"' + r.str + '"';
      break;
    case Reply::Type::kNull:
      *out += "nil";
      break;
    case Reply::Type::kDouble:
      *out += "(double) " + r.str;
      break;
    case Reply::Type::kBool:
      *out += r.integer ? "true" : "false";
      break;
    case Reply::Type::kBigNumber:
      *out += "(big) " + r.str;
      break;
    case Reply::Type::kMap:
      *out += '{';
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        if (i) *out += ", ";
        Render(r.elements[i], out);
        *out += ": ";
        Render(r.elements[i + 1], out);
      }
      *out += '}';
      break;
    case Reply::Type::kArray:
    case Reply::Type::kSet:
    case Reply::Type::kPush:
      *out += r.type == Reply::Type::kSet ? "~[" : r.type == Reply::Type::kPush ? ">[" : "[";
      for (size_t i = 0; i < r.elements.size(); ++i) {
        if (i) *out += ", ";
        Render(r.elements[i], out);
      }
      *out += ']';
      break;
  }
}

}  // namespace

std::string Reply::ToString() const {
  std::string s;
  Render(*this, &s);
  return s;
}

ParseReplyStatus ParseReply(std::string_view input, Reply* out, size_t* consumed) {
  Reader reader(input);
  Reply r;
  ParseReplyStatus s = reader.Read(&r, 0);
  if (s == ParseReplyStatus::kOk) {
    *out = std::move(r);
    *consumed = reader.pos();
  }
  return s;
}

}  // namespace runnel::resp
