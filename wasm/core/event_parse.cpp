#include "core/event_parse.h"

#include <algorithm>

#include "core/base64.h"
#include "core/sse.h"

namespace ci {

ParseError ReadNow(const Json& e, int64_t* now_ms) {
  auto it = e.find("now_ms");
  if (it == e.end() || !it->is_number() || it->get<double>() < 0)
    return std::string("now_ms: expected a non-negative number (milliseconds)");
  *now_ms = static_cast<int64_t>(it->get<double>());
  return std::nullopt;
}

ParseError ReadInt(const Json& e, const char* key, int64_t* value) {
  auto it = e.find(key);
  if (it == e.end() || !it->is_number_integer()) return std::string(key) + ": expected an integer";
  *value = it->get<int64_t>();
  return std::nullopt;
}

namespace {

ParseError ReadBytesFrom(const Json& e, const std::vector<std::string>& blobs, const std::string& where,
                         std::string* bytes) {
  if (auto it = e.find("blob"); it != e.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() >= blobs.size())
      return where + ".blob: expected an index into the blobs passed with the event";
    *bytes = blobs[it->get<size_t>()];
    return std::nullopt;
  }
  if (auto it = e.find("data_base64"); it != e.end()) {
    if (!it->is_string()) return where + ".data_base64: expected a string";
    auto decoded = Base64Decode(it->get_ref<const std::string&>());
    if (!decoded) return where + ".data_base64: not valid base64";
    *bytes = std::move(*decoded);
    return std::nullopt;
  }
  if (auto it = e.find("data"); it != e.end()) {
    if (!it->is_string()) return where + ".data: expected a string";
    *bytes = it->get<std::string>();
    return std::nullopt;
  }
  return where + ": expected one of data, data_base64, blob";
}

ParseError ReadOptString(const Json& e, const char* key, const std::string& where, std::string* out) {
  auto it = e.find(key);
  if (it == e.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return where + "." + key + ": expected a string";
  *out = SanitizeUtf8(it->get_ref<const std::string&>());
  return std::nullopt;
}

}  // namespace

ParseError ReadBytes(const Json& e, const std::vector<std::string>& blobs, std::string* bytes) {
  std::string type = e.value("type", "event");
  return ReadBytesFrom(e, blobs, type, bytes);
}

ParseError ReadHeaders(const Json& e, std::map<std::string, std::string>* headers) {
  auto it = e.find("headers");
  if (it == e.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return std::string("headers: expected an object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return "headers." + k + ": expected a string";
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    (*headers)[name] = v.get<std::string>();
  }
  return std::nullopt;
}

ParseError ParseExecReport(const Json& e, const std::vector<std::string>& blobs, ExecReport* r) {
  const std::string w = "exec_result";
  auto id = e.find("exec_id");
  if (id == e.end() || !id->is_string()) return w + ".exec_id: expected a string";
  r->exec_id = *id;
  if (auto err = ReadOptString(e, "stdout", w, &r->stdout_text)) return err;
  if (auto err = ReadOptString(e, "stderr", w, &r->stderr_text)) return err;
  if (auto it = e.find("result"); it != e.end() && !it->is_null()) {
    if (!it->is_string()) return w + ".result: expected a string or null";
    r->result = SanitizeUtf8(it->get_ref<const std::string&>());
  }
  if (auto it = e.find("error"); it != e.end() && !it->is_null()) {
    if (!it->is_object()) return w + ".error: expected an object or null";
    Json err{{"type", "Error"}, {"message", ""}, {"traceback", ""}};
    for (const char* k : {"type", "message", "traceback"}) {
      auto f = it->find(k);
      if (f == it->end() || f->is_null()) continue;
      if (!f->is_string()) return w + ".error." + k + ": expected a string";
      err[k] = SanitizeUtf8(f->get_ref<const std::string&>());
    }
    r->error = err;
  }
  bool ok = r->error.is_null();
  if (auto it = e.find("ok"); it != e.end()) {
    if (!it->is_boolean()) return w + ".ok: expected a boolean";
    ok = *it;
  }
  r->status = ok ? "ok" : "error";
  if (auto it = e.find("status"); it != e.end()) {
    static const char* kStatuses[] = {"ok", "error", "timeout", "cancelled", "crashed"};
    if (!it->is_string() || std::none_of(std::begin(kStatuses), std::end(kStatuses),
                                         [&](const char* s) { return *it == s; }))
      return w + ".status: expected one of ok, error, timeout, cancelled, crashed";
    r->status = *it;
  }
  if (auto it = e.find("restarted"); it != e.end()) {
    if (!it->is_boolean()) return w + ".restarted: expected a boolean";
    r->restarted = *it;
  }
  for (const char* key : {"ms", "duration_ms"}) {
    if (auto it = e.find(key); it != e.end()) {
      if (!it->is_number() || it->get<double>() < 0) return w + "." + key + ": expected a non-negative number";
      r->duration_ms = static_cast<int64_t>(it->get<double>());
    }
  }
  if (auto it = e.find("outputs"); it != e.end() && !it->is_null()) {
    if (!it->is_array()) return w + ".outputs: expected an array";
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& o = (*it)[i];
      std::string where = w + ".outputs[" + std::to_string(i) + "]";
      if (!o.is_object() || !o.contains("mime") || !o["mime"].is_string())
        return where + ": expected {\"mime\", \"data\"}";
      Output out;
      out.mime = o["mime"];
      auto d = o.find("data");
      if (d == o.end()) return where + ".data: missing";
      // JSON outputs may arrive as a value; keep them as text.
      out.data = d->is_string() ? SanitizeUtf8(d->get_ref<const std::string&>()) : d->dump();
      if (auto t = o.find("text"); t != o.end() && !t->is_null()) {
        if (!t->is_string()) return where + ".text: expected a string";
        out.text = SanitizeUtf8(t->get_ref<const std::string&>());
      }
      r->outputs.push_back(std::move(out));
    }
  }
  if (auto it = e.find("files"); it != e.end() && !it->is_null()) {
    if (!it->is_object()) return w + ".files: expected an object";
    for (const char* kind : {"created", "modified"}) {
      auto list = it->find(kind);
      if (list == it->end() || list->is_null()) continue;
      if (!list->is_array()) return w + ".files." + kind + ": expected an array";
      for (size_t i = 0; i < list->size(); ++i) {
        const Json& f = (*list)[i];
        std::string where = w + ".files." + kind + "[" + std::to_string(i) + "]";
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string())
          return where + ": expected {\"path\", and data, data_base64 or blob}";
        ExecReport::WrittenFile wf;
        wf.path = f["path"];
        if (auto err = ReadBytesFrom(f, blobs, where, &wf.bytes)) return err;
        r->written.push_back(std::move(wf));
      }
    }
    if (auto list = it->find("deleted"); list != it->end() && !list->is_null()) {
      if (!list->is_array()) return w + ".files.deleted: expected an array of paths";
      for (const auto& p : *list) {
        if (p.is_string()) r->deleted.push_back(p);
        else if (p.is_object() && p.contains("path") && p["path"].is_string()) r->deleted.push_back(p["path"]);
        else return w + ".files.deleted: expected an array of paths";
      }
    }
  }
  return std::nullopt;
}

}  // namespace ci
