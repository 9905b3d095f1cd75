#pragma once
// Prints whole blocks of text and, on a smart terminal, one status line that is redrawn in
// place (`\r`, the text shortened to the terminal width, `\x1B[K`). Modelled on Ninja's
// LinePrinter. Every call is one fwrite followed by a flush, so lines are never torn.
#include <cstdio>
#include <string>
#include <string_view>

namespace luisy::status {

// Shortens `text` to at most `width` characters (UTF-8 code points) by replacing its middle
// with "...". A width of 0 means unknown: the text is returned whole.
std::string elide_middle(std::string_view text, size_t width);

// The number of columns of the terminal behind `file`, or 0 if it is not a terminal.
size_t terminal_width(FILE* file);

class LinePrinter {
 public:
  // `width` 0 asks the terminal each time the status line is drawn (it may be resized).
  LinePrinter(FILE* out, bool smart_terminal, size_t width = 0)
      : out_(out), smart_(smart_terminal), fixed_width_(width) {}

  bool smart_terminal() const { return smart_; }

  // Sets the status line's text and, on a smart terminal when `draw` is set, redraws it now.
  // Without a smart terminal the text is kept but never shown.
  void set_status(std::string_view text, bool draw = true);
  // Prints `block` (a newline is added if it lacks one) on lines of its own. On a smart
  // terminal the status line is cleared first and, if `redraw` is set, drawn again below.
  void print_block(std::string_view block, bool redraw = true);
  // Clears the status line (smart terminals), e.g. before writing to another stream.
  void clear_status();
  // Restores the status line after clear_status().
  void redraw_status();
  // Leaves the last status line visible, moves to a fresh line and forgets the status text,
  // so later blocks are not followed by a stale status line.
  void finish_line();

 private:
  std::string status_text() const;
  void write(const std::string& text);

  FILE* out_;
  bool smart_;
  size_t fixed_width_;
  std::string status_;       // the text of the status line, unelided
  bool line_drawn_ = false;  // the cursor sits at the end of a drawn status line
};

}  // namespace luisy::status
