// Notebook export (see notebook.h), shaped to validate against the nbformat
// v4.5 JSON schema (jupyter/nbformat: nbformat/v4/nbformat.v4.5.schema.json).
//
// Choices the schema leaves open:
// - Cell ids are "cell-1", "cell-2", ... in cell order: unique, within the
//   id pattern ^[a-zA-Z0-9-_]+$ and 64 characters, and the same on every
//   export of the same conversation (the output is a pure function of its
//   input, so two exports are byte-identical).
// - Sources and stream texts are written as Jupyter writes them: a list of
//   lines, each keeping its "\n", the last one without when the text does not
//   end in one. Mime data in a bundle is one string (the schema allows a
//   string or a list); application/json (and any application/...+json) is
//   the parsed JSON value when it parses.
// - Empty streams and empty assistant texts make no output or cell; thinking
//   and tool-call arguments are not exported (the code cell shows the code).
// - execution_count 0 means "never ran" and becomes null.
#include "core/notebook.h"

#include <string>
#include <string_view>

namespace ci {
namespace {

Json MultilineString(std::string_view text) {
  Json lines = Json::array();
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(std::string(text.substr(start, end - start)));
    start = end;
  }
  return lines;
}

Json ExecutionCount(int count) { return count > 0 ? Json(count) : Json(nullptr); }

bool IsJsonMime(const std::string& mime) {
  if (mime == "application/json") return true;
  const std::string suffix = "+json";
  return mime.rfind("application/", 0) == 0 && mime.size() > suffix.size() &&
         mime.compare(mime.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Json MimeData(const Output& output) {
  if (IsJsonMime(output.mime)) {
    Json parsed = Json::parse(output.data, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  return output.data;  // text as is; binary types stay base64 as stored
}

Json Stream(const char* name, const std::string& text) {
  Json out = Json::object();
  out["output_type"] = "stream";
  out["name"] = name;
  out["text"] = MultilineString(text);
  return out;
}

// The error record is {"type","message","traceback"}; traceback may be a
// list of lines or one string. Anything missing becomes "" / [].
Json ErrorOutput(const Json& error) {
  Json out = Json::object();
  out["output_type"] = "error";
  std::string ename;
  std::string evalue;
  Json traceback = Json::array();
  if (error.is_object()) {
    auto type = error.find("type");
    if (type != error.end() && type->is_string()) ename = type->get<std::string>();
    auto message = error.find("message");
    if (message != error.end() && message->is_string()) evalue = message->get<std::string>();
    auto tb = error.find("traceback");
    if (tb != error.end() && tb->is_string()) {
      // Jupyter's traceback items are lines without their "\n".
      const std::string& text = tb->get_ref<const std::string&>();
      size_t start = 0;
      while (start < text.size()) {
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string::npos ? text.size() : nl;
        traceback.push_back(text.substr(start, end - start));
        start = end + 1;
      }
    } else if (tb != error.end() && tb->is_array()) {
      for (const Json& line : *tb) {
        traceback.push_back(line.is_string() ? line.get<std::string>() : line.dump());
      }
    }
  } else if (error.is_string()) {
    evalue = error.get<std::string>();
  }
  out["ename"] = ename;
  out["evalue"] = evalue;
  out["traceback"] = std::move(traceback);
  return out;
}

Json CodeCellOutputs(const ExecRecord& exec) {
  Json outputs = Json::array();
  if (!exec.stdout_text.empty()) outputs.push_back(Stream("stdout", exec.stdout_text));
  if (!exec.stderr_text.empty()) outputs.push_back(Stream("stderr", exec.stderr_text));
  for (const Output& output : exec.outputs) {
    Json display = Json::object();
    display["output_type"] = "display_data";
    display["data"] = Json::object({{output.mime, MimeData(output)}});
    // Jupyter's front ends fall back to text/plain when they lack a renderer
    // (a table or chart mime without its extension).
    if (!output.text.empty() && output.mime != "text/plain") display["data"]["text/plain"] = MultilineString(output.text);
    display["metadata"] = Json::object();
    outputs.push_back(std::move(display));
  }
  if (exec.result) {
    Json result = Json::object();
    result["output_type"] = "execute_result";
    result["execution_count"] = ExecutionCount(exec.execution_count);
    result["data"] = Json::object({{"text/plain", *exec.result}});
    result["metadata"] = Json::object();
    outputs.push_back(std::move(result));
  }
  if (!exec.error.is_null()) outputs.push_back(ErrorOutput(exec.error));
  return outputs;
}

// A notice as a markdown block quote; trailing line breaks are dropped so
// the quote does not end in an empty ">" line.
std::string QuoteLines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string out;
  size_t start = 0;
  do {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string_view line(text.data() + start, end - start);
    out += line.empty() ? ">" : "> ";
    out += line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
  } while (start <= text.size());
  return out;
}

class CellWriter {
 public:
  void Markdown(const std::string& source) {
    Json cell = Json::object();
    cell["cell_type"] = "markdown";
    cell["id"] = NextId();
    cell["metadata"] = Json::object();
    cell["source"] = MultilineString(source);
    cells_.push_back(std::move(cell));
  }

  void Code(const ExecRecord& exec) {
    Json cell = Json::object();
    cell["cell_type"] = "code";
    cell["id"] = NextId();
    cell["metadata"] = Json::object();
    cell["execution_count"] = ExecutionCount(exec.execution_count);
    cell["source"] = MultilineString(exec.code);
    cell["outputs"] = CodeCellOutputs(exec);
    cells_.push_back(std::move(cell));
  }

  Json Take() { return std::move(cells_); }

 private:
  std::string NextId() { return "cell-" + std::to_string(++count_); }

  Json cells_ = Json::array();
  size_t count_ = 0;
};

}  // namespace

Json ExportNotebook(const Conversation& conversation, const NotebookOptions& options) {
  CellWriter writer;
  for (const Entry& entry : conversation.entries) {
    switch (entry.kind) {
      case Entry::Kind::kUser:
        writer.Markdown("**User:**\n\n" + entry.text);
        break;
      case Entry::Kind::kAssistant:
        if (!entry.text.empty()) writer.Markdown(entry.text);
        break;
      case Entry::Kind::kExec:
        writer.Code(entry.exec);
        break;
      case Entry::Kind::kNotice:
        writer.Markdown(QuoteLines(entry.text));
        break;
    }
  }

  // Top-level keys in the order Jupyter writes them (sorted).
  Json notebook = Json::object();
  notebook["cells"] = writer.Take();
  Json metadata = Json::object();
  metadata["kernelspec"] = Json::object({{"name", options.kernel_name},
                                         {"display_name", options.kernel_display_name},
                                         {"language", "python"}});
  metadata["language_info"] =
      Json::object({{"name", "python"}, {"version", options.python_version}});
  notebook["metadata"] = std::move(metadata);
  notebook["nbformat"] = 4;
  notebook["nbformat_minor"] = 5;
  return notebook;
}

}  // namespace ci
