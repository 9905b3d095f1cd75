#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "luisy/status/line_printer.h"

using luisy::status::elide_middle;
using luisy::status::LinePrinter;

namespace {
// A FILE* that writes into memory.
struct Capture {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* file = open_memstream(&buffer, &size);
  ~Capture() {
    std::fclose(file);
    std::free(buffer);
  }
  std::string text() {
    std::fflush(file);
    return std::string(buffer, size);
  }
};
}  // namespace

TEST_CASE("status: elide_middle") {
  CHECK(elide_middle("short", 10) == "short");
  CHECK(elide_middle("exactly10!", 10) == "exactly10!");
  CHECK(elide_middle("0123456789abcdef", 10) == "0123...def");
  CHECK(elide_middle("0123456789abcdef", 10).size() == 10);
  CHECK(elide_middle("0123456789", 0) == "0123456789");  // unknown width
  CHECK(elide_middle("0123456789", 2) == "..");
  // A multibyte character is never cut in half: 12 code points, 16 bytes.
  std::string text = "ääää12345678";
  std::string elided = elide_middle(text, 8);
  CHECK(elided == "äää...78");
}

TEST_CASE("status: LinePrinter on a smart terminal redraws one line") {
  Capture out;
  LinePrinter printer(out.file, true, 20);
  printer.set_status("[0/2] first");
  CHECK(out.text() == "\r[0/2] first\x1B[K");
  printer.print_block("some output");
  CHECK(out.text() ==
        "\r[0/2] first\x1B[K"
        "\r\x1B[Ksome output\n\r[0/2] first\x1B[K");
  printer.finish_line();
  CHECK(out.text().back() == '\n');
  printer.print_block("after");
  // The status text was forgotten: no stale status line after the block.
  CHECK(out.text().substr(out.text().size() - 6) == "after\n");
}

TEST_CASE("status: LinePrinter elides the status line to the width") {
  Capture out;
  LinePrinter printer(out.file, true, 10);
  printer.set_status("[1/2] a very long label");
  CHECK(out.text() == "\r[1/2...bel\x1B[K");
}

TEST_CASE("status: LinePrinter without a smart terminal prints blocks only") {
  Capture out;
  LinePrinter printer(out.file, false, 10);
  printer.set_status("[0/1] x");
  printer.clear_status();
  printer.redraw_status();
  printer.print_block("a line that is longer than the width");
  printer.finish_line();
  CHECK(out.text() == "a line that is longer than the width\n");
}
