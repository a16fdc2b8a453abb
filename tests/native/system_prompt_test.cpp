// The system prompt tells the model the truth about its sandbox: the
// packages, the network (none), how installs work when an index is
// configured, the table and chart helpers, and the files.
#include "core/system_prompt.h"

#include <gtest/gtest.h>

namespace ci {
namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(SystemPrompt, SaysWhatTheSandboxHas) {
  SandboxInfo info;
  info.packages = {"numpy", "pandas"};
  Vfs vfs;
  ASSERT_FALSE(vfs.Write("sales.csv", "a,b\n1,2\n", "", "upload", "", 0));
  std::string p = BuildSystemPrompt(info, vfs, true, "Be brief.");
  EXPECT_TRUE(Has(p, "these packages can be imported (they load on first import): numpy, pandas."));
  EXPECT_TRUE(Has(p, "There is no network access: no pip install from the internet"));
  EXPECT_FALSE(Has(p, "%pip install"));
  EXPECT_TRUE(Has(p, "display_table(obj, title=None)"));
  EXPECT_TRUE(Has(p, "sales.csv"));
  EXPECT_EQ(p.substr(p.size() - 10), "Be brief.\n") << "the user's addition comes last";
}

TEST(SystemPrompt, WithAPackageIndexItSaysHowInstallsWork) {
  SandboxInfo info;
  info.package_index = true;
  std::string p = BuildSystemPrompt(info, Vfs(), true, "");
  EXPECT_FALSE(Has(p, "no pip install")) << "no contradiction with the install line";
  EXPECT_TRUE(Has(p, "Python has no network access"));
  EXPECT_TRUE(Has(p, "`%pip install name` at the start of a cell"));
  EXPECT_TRUE(Has(p, "the user is asked first"));
  EXPECT_TRUE(SandboxInfo::FromJson(info.ToJson()).package_index);
  EXPECT_FALSE(SandboxInfo::FromJson(Json::object()).package_index);
}

}  // namespace
}  // namespace ci
