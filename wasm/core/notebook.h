// Notebook export: a conversation as a Jupyter notebook (nbformat 4.5).
// User and assistant text become markdown cells ("**User:**" / assistant
// text), each execution a code cell with its execution_count, stream
// outputs (stdout, stderr), display_data for rich outputs (images as base64
// PNG under "image/png"), execute_result for a last-expression value, and an
// error output for exceptions. Every cell has an "id" (required by 4.5).
#pragma once
#include "core/conversation.h"
#include "core/json.h"

namespace ci {

struct NotebookOptions {
  std::string kernel_name = "python3";
  std::string kernel_display_name = "Python 3 (Pyodide)";
  std::string python_version = "3.14";
};

Json ExportNotebook(const Conversation& conversation, const NotebookOptions& options = {});

}  // namespace ci
