// The one JSON type of the core (nlohmann/json, ordered so that objects keep
// the key order they were built with: requests and exports read naturally).
#pragma once
#include <nlohmann/json.hpp>

namespace ci {
using Json = nlohmann::ordered_json;
}  // namespace ci
