// Passwords as ACL keeps them: never the text, only its SHA-256 as 64 lowercase hex digits
// (what ACL LIST and ACL GETUSER show, and what '#hash' and '!hash' rules name), and the random
// passwords ACL GENPASS makes. Both from OpenSSL's libcrypto, already linked for TLS.
#pragma once

#include <string>
#include <string_view>

namespace runnel::acl {

std::string Sha256Hex(std::string_view text);

// Whether `hash` is 64 lowercase hex digits, the only form '#' and '!' rules accept.
bool IsPasswordHash(std::string_view hash);

// `bits` of randomness (1..4096) from the system's CSPRNG, as ceil(bits / 4) hex digits.
std::string RandomHex(int bits);

// Compares without stopping at the first difference, so the time taken says nothing about how
// much of a hash matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace runnel::acl
