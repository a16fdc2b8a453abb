// ExtractPythonBlocks: the code of models that cannot call tools.
#include "core/fenced_code.h"

#include <gtest/gtest.h>

namespace ci {
namespace {

using Blocks = std::vector<std::string>;

TEST(FencedCode, ExtractsMultipleBlocksInOrder) {
  const char* text =
      "First:\n```python\nimport pandas as pd\ndf = pd.read_csv('a.csv')\n```\nThen:\n"
      "```python\nprint(df.head())\n```\nDone.";
  EXPECT_EQ(ExtractPythonBlocks(text), (Blocks{"import pandas as pd\ndf = pd.read_csv('a.csv')", "print(df.head())"}));
}

TEST(FencedCode, AcceptsPyPython3AndTildeFences) {
  EXPECT_EQ(ExtractPythonBlocks("```py\na = 1\n```"), (Blocks{"a = 1"}));
  EXPECT_EQ(ExtractPythonBlocks("~~~python3\nb = 2\n~~~"), (Blocks{"b = 2"}));
  EXPECT_EQ(ExtractPythonBlocks("```Python {linenos}\nc = 3\n```"), (Blocks{"c = 3"}))
      << "language is the first word of the info string, any case";
}

TEST(FencedCode, IgnoresOtherLanguagesAndUnmarkedBlocks) {
  const char* text = "```bash\npip install x\n```\n```\nplain\n```\n```javascript\nx()\n```\n```pyth\nno\n```";
  EXPECT_EQ(ExtractPythonBlocks(text), Blocks{});
}

TEST(FencedCode, LongerFenceHoldsShorterFences) {
  const char* text = "````python\ns = '''\n```\ninner\n```\n'''\n````\nafter";
  EXPECT_EQ(ExtractPythonBlocks(text), (Blocks{"s = '''\n```\ninner\n```\n'''"}));
}

TEST(FencedCode, PythonFenceQuotedInsideAnotherBlockIsNotCode) {
  const char* text = "````markdown\n```python\nnot_me()\n```\n````\n```python\nme()\n```";
  EXPECT_EQ(ExtractPythonBlocks(text), (Blocks{"me()"}));
}

TEST(FencedCode, TildeFenceIsNotClosedByBackticks) {
  EXPECT_EQ(ExtractPythonBlocks("~~~python\na\n```\nb\n~~~"), (Blocks{"a\n```\nb"}));
}

TEST(FencedCode, UnclosedFinalBlockRunsToTheEnd) {
  EXPECT_EQ(ExtractPythonBlocks("Here:\n```python\nx = 1\nprint(x)"), (Blocks{"x = 1\nprint(x)"}));
  EXPECT_EQ(ExtractPythonBlocks("```python\nx = 1\n"), (Blocks{"x = 1"}));
}

TEST(FencedCode, HandlesCrLf) {
  EXPECT_EQ(ExtractPythonBlocks("Text\r\n```python\r\na = 1\r\nb = 2\r\n```\r\n"), (Blocks{"a = 1\nb = 2"}));
}

TEST(FencedCode, IndentedFenceUpToThreeSpacesStripsThatIndent) {
  EXPECT_EQ(ExtractPythonBlocks("   ```python\n   if x:\n       y()\n   ```"), (Blocks{"if x:\n    y()"}));
  EXPECT_EQ(ExtractPythonBlocks("  ```python\nnot_indented()\n  ```"), (Blocks{"not_indented()"}));
  EXPECT_EQ(ExtractPythonBlocks("    ```python\n    code()\n    ```"), Blocks{})
      << "four spaces make an indented code block, not a fence";
}

TEST(FencedCode, ClosingFenceMayBeLongerButNotShorterOrCarryInfo) {
  EXPECT_EQ(ExtractPythonBlocks("```python\na\n`````\nafter"), (Blocks{"a"}));
  EXPECT_EQ(ExtractPythonBlocks("````python\na\n```\nb\n````"), (Blocks{"a\n```\nb"}));
  EXPECT_EQ(ExtractPythonBlocks("```python\na\n```python\nb\n```"), (Blocks{"a\n```python\nb"}))
      << "a fence with an info string does not close a block";
}

TEST(FencedCode, EmptyBlocksAreSkipped) {
  EXPECT_EQ(ExtractPythonBlocks("```python\n```\n```python\n   \n\n```\n```python\nz\n```"), (Blocks{"z"}));
}

TEST(FencedCode, KeepsBlankLinesInsideTheBody) {
  EXPECT_EQ(ExtractPythonBlocks("```python\na = 1\n\nb = 2\n```"), (Blocks{"a = 1\n\nb = 2"}));
}

TEST(FencedCode, TwoBackticksOrInlineCodeAreNotFences) {
  EXPECT_EQ(ExtractPythonBlocks("``python\nx\n``\nuse `print()` here ```python x```"), Blocks{});
}

TEST(FencedCode, EmptyInput) { EXPECT_EQ(ExtractPythonBlocks(""), Blocks{}); }

}  // namespace
}  // namespace ci
