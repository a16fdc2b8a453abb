// ParseErrorBody: non-2xx bodies from every provider shape into one clear error.
#include <gtest/gtest.h>

#include <string>

#include "core/stream_decoder.h"

namespace ci {
namespace {

TEST(ParseErrorBody, OpenAiShapeGivesTypeAndMessage) {
  StreamError e = ParseErrorBody(401, R"({
    "error": {
        "message": "Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": null,
        "code": "invalid_api_key"
    }
}
)");
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.message.rfind("HTTP 401: Incorrect API key provided", 0), 0u) << e.message;
}

TEST(ParseErrorBody, AnthropicShapeGivesTypeAndMessage) {
  StreamError e = ParseErrorBody(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CRx"})");
  EXPECT_EQ(e.type, "overloaded_error");
  EXPECT_EQ(e.message, "HTTP 529: Overloaded");
}

TEST(ParseErrorBody, OllamaNativeStringError) {
  StreamError e = ParseErrorBody(404, R"({"error":"model \"llama9\" not found, try pulling it first"})");
  EXPECT_EQ(e.type, "http_error");
  EXPECT_EQ(e.message, "HTTP 404: model \"llama9\" not found, try pulling it first");
}

TEST(ParseErrorBody, LlamaCppShapeWithNumericCode) {
  StreamError e = ParseErrorBody(400, R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":4096}})");
  EXPECT_EQ(e.type, "exceed_context_size_error");
  EXPECT_NE(e.message.find("exceeds the available context size"), std::string::npos) << e.message;
}

TEST(ParseErrorBody, VllmTopLevelMessage) {
  StreamError e = ParseErrorBody(404, R"({"object":"error","message":"The model `gpt-4` does not exist.","type":"NotFoundError","param":null,"code":404})");
  EXPECT_EQ(e.type, "NotFoundError");
  EXPECT_EQ(e.message, "HTTP 404: The model `gpt-4` does not exist.");
}

TEST(ParseErrorBody, FastApiDetailStringAndList) {
  EXPECT_EQ(ParseErrorBody(404, R"({"detail":"Not Found"})").message, "HTTP 404: Not Found");
  StreamError list = ParseErrorBody(
      422, R"({"detail":[{"type":"missing","loc":["body","model"],"msg":"Field required","input":{}},{"loc":["body","messages"],"msg":"Input should be a valid list"}]})");
  EXPECT_EQ(list.message, "HTTP 422: Field required; Input should be a valid list");
  EXPECT_EQ(list.type, "http_error");
}

TEST(ParseErrorBody, HtmlPageNamesItsTitle) {
  StreamError e = ParseErrorBody(502,
                                 "<html>\r\n<head><title>502 Bad\n   Gateway</title></head>\r\n<body>\r\n<center><h1>502 "
                                 "Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
  EXPECT_EQ(e.type, "http_error");
  EXPECT_EQ(e.message, "HTTP 502: the server returned an HTML page (\"502 Bad Gateway\")");
  StreamError untitled = ParseErrorBody(503, "<!DOCTYPE html><html><body>down &amp; out</body></html>");
  EXPECT_EQ(untitled.message, "HTTP 503: the server returned an HTML page");
  StreamError entity = ParseErrorBody(403, "<!doctype html><title>Attention Required! | Cloudflare &amp; co</title>");
  EXPECT_EQ(entity.message, "HTTP 403: the server returned an HTML page (\"Attention Required! | Cloudflare & co\")");
}

TEST(ParseErrorBody, EmptyAndWhitespaceBodies) {
  EXPECT_EQ(ParseErrorBody(404, "").message, "HTTP 404 with an empty body");
  EXPECT_EQ(ParseErrorBody(500, " \r\n ").message, "HTTP 500 with an empty body");
  EXPECT_EQ(ParseErrorBody(404, "").type, "http_error");
}

TEST(ParseErrorBody, PlainTextIsQuotedAndTruncated) {
  EXPECT_EQ(ParseErrorBody(500, "Internal Server Error\n").message, "HTTP 500: Internal Server Error");
  std::string huge(100000, 'e');
  StreamError e = ParseErrorBody(500, huge);
  EXPECT_LT(e.message.size(), 600u) << "a huge body must be cut to a readable length";
  EXPECT_EQ(e.message.substr(e.message.size() - 3), "...");
}

TEST(ParseErrorBody, HostileBodiesDoNotCrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  StreamError e = ParseErrorBody(400, deep);
  EXPECT_EQ(e.type, "http_error");
  EXPECT_FALSE(e.message.empty());
  StreamError bad = ParseErrorBody(400, "{\"error\":{\"message\":\"caf\xC3\"}}\xFF");
  EXPECT_EQ(bad.message.find('\xFF'), std::string::npos) << "invalid UTF-8 must not be echoed raw";
  StreamError nul = ParseErrorBody(500, std::string("oops\0here", 9));
  EXPECT_EQ(nul.message.find('\0'), std::string::npos);
  StreamError odd = ParseErrorBody(400, R"({"error":{"code":"x"}})");
  EXPECT_NE(odd.message.find("\"code\""), std::string::npos) << "an error with no message shows its JSON: " << odd.message;
  StreamError array = ParseErrorBody(400, R"(["nope"])");
  EXPECT_EQ(array.message, "HTTP 400: [\"nope\"]");
}

}  // namespace
}  // namespace ci
