#include "luisy/status/line_printer.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <vector>

namespace luisy::status {

namespace {
constexpr std::string_view kClearLine = "\r\x1B[K";

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}
}  // namespace

std::string elide_middle(std::string_view text, size_t width) {
  // Byte offsets where each code point starts, so a multibyte character is never split.
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i)
    if (!is_continuation_byte(text[i])) starts.push_back(i);
  if (width == 0 || starts.size() <= width) return std::string(text);
  constexpr std::string_view kDots = "...";
  if (width <= kDots.size()) return std::string(kDots.substr(0, width));
  size_t keep = width - kDots.size();
  size_t head = (keep + 1) / 2, tail = keep / 2;
  std::string out(text.substr(0, starts[head]));
  out += kDots;
  out += text.substr(starts[starts.size() - tail]);
  return out;
}

size_t terminal_width(FILE* file) {
  winsize size{};
  if (ioctl(fileno(file), TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

std::string LinePrinter::status_text() const {
  size_t width = fixed_width_;
  // One column spare: text that fills the last column leaves the cursor in the terminal's
  // pending-wrap state, where \x1B[K would erase the last character.
  if (width == 0 && (width = terminal_width(out_)) > 1) --width;
  return "\r" + elide_middle(status_, width) + "\x1B[K";
}

void LinePrinter::write(const std::string& text) {
  if (text.empty()) return;
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void LinePrinter::set_status(std::string_view text, bool draw) {
  status_ = text;
  if (!smart_ || !draw) return;
  write(status_text());
  line_drawn_ = true;
}

void LinePrinter::print_block(std::string_view block, bool redraw) {
  std::string text;
  if (smart_ && line_drawn_) text += kClearLine;
  text += block;
  if (!block.empty() && block.back() != '\n') text += '\n';
  line_drawn_ = false;
  if (smart_ && redraw && !status_.empty()) {
    text += status_text();
    line_drawn_ = true;
  }
  write(text);
}

void LinePrinter::clear_status() {
  if (!smart_ || !line_drawn_) return;
  write(std::string(kClearLine));
  line_drawn_ = false;
}

void LinePrinter::redraw_status() {
  if (!smart_ || line_drawn_ || status_.empty()) return;
  write(status_text());
  line_drawn_ = true;
}

void LinePrinter::finish_line() {
  if (smart_ && line_drawn_) write("\n");
  line_drawn_ = false;
  status_.clear();
}

}  // namespace luisy::status
