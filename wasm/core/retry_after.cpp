#include "core/retry_after.h"

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace ci {
namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant's method.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<double> ParseSeconds(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  while (end && *end && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (!end || *end != '\0' || !(v >= 0) || v > 1e9) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int64_t> ParseHttpDateMs(const std::string& text) {
  // IMF-fixdate only: "Sun, 06 Nov 1994 08:49:37 GMT".
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char wday[4] = {0}, mon[4] = {0}, zone[4] = {0};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (std::sscanf(text.c_str(), "%3[A-Za-z], %d %3s %d %d:%d:%d %3s", wday, &day, mon, &year, &hh, &mm, &ss, zone) != 8)
    return std::nullopt;
  if (std::strcmp(zone, "GMT") != 0) return std::nullopt;
  int m = -1;
  for (int i = 0; i < 12; ++i)
    if (std::strcmp(mon, kMonths[i]) == 0) m = i + 1;
  if (m < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(m), static_cast<unsigned>(day));
  return ((days * 24 + hh) * 60 + mm) * 60000 + ss * 1000;
}

std::optional<int64_t> RetryAfterMs(const std::map<std::string, std::string>& headers, int64_t now_ms) {
  if (auto it = headers.find("retry-after-ms"); it != headers.end()) {
    if (auto v = ParseSeconds(it->second)) return static_cast<int64_t>(*v);
  }
  if (auto it = headers.find("retry-after"); it != headers.end()) {
    if (auto v = ParseSeconds(it->second)) return static_cast<int64_t>(*v * 1000);
    if (auto t = ParseHttpDateMs(it->second)) return *t > now_ms ? *t - now_ms : 0;
  }
  return std::nullopt;
}

}  // namespace ci
