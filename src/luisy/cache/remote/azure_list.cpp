#include "luisy/cache/remote/azure_list.h"

namespace luisy::cache::remote {
namespace {

std::string xml_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    size_t semi = text.find(';', i);
    std::string_view entity =
        semi == std::string_view::npos ? std::string_view() : text.substr(i + 1, semi - i - 1);
    char c = entity == "amp"    ? '&'
             : entity == "lt"   ? '<'
             : entity == "gt"   ? '>'
             : entity == "quot" ? '"'
             : entity == "apos" ? '\''
                                : '\0';
    if (c == '\0') {
      out += text[i];
    } else {
      out += c;
      i = semi;
    }
  }
  return out;
}

// The text of the first <tag>...</tag> at or after `from`; `*end` is set past it.
std::optional<std::string_view> element(std::string_view xml, std::string_view tag, size_t from,
                                        size_t* end) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open, from);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  size_t stop = xml.find(close, start);
  if (stop == std::string_view::npos) return std::nullopt;
  *end = stop + close.size();
  return xml.substr(start, stop - start);
}

}  // namespace

std::optional<BlobListPage> parse_blob_list(std::string_view xml) {
  // A whole document ends with its closing tag; anything short of it was cut off.
  size_t root = xml.find("<EnumerationResults");
  if (root == std::string_view::npos ||
      xml.find("</EnumerationResults>", root) == std::string_view::npos)
    return std::nullopt;
  BlobListPage page;
  size_t pos = root;
  size_t end = 0;
  while (auto blob = element(xml, "Blob", pos, &end)) {
    pos = end;
    size_t name_end = 0;
    if (auto name = element(*blob, "Name", 0, &name_end)) page.names.push_back(xml_decode(*name));
  }
  size_t marker_end = 0;
  if (auto marker = element(xml, "NextMarker", root, &marker_end))
    page.next_marker = xml_decode(*marker);
  return page;
}

}  // namespace luisy::cache::remote
