// For models without tool calling: the code is a fenced ```python block in
// the reply text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ci {

// Returns the bodies of the fenced code blocks marked python/py/python3 (in
// order). Fences of ``` or ~~~ (3 or more), an info string after the fence,
// CRLF line ends and an unclosed final block (taken to the end) are handled.
std::vector<std::string> ExtractPythonBlocks(std::string_view markdown);

}  // namespace ci
