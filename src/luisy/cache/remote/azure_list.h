#pragma once
// The answer to Azure's List Blobs, reduced to what `luisy verify` needs: the blob names
// of one page and the marker of the next.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace luisy::cache::remote {

struct BlobListPage {
  std::vector<std::string> names;  // full blob names, XML entities decoded
  std::string next_marker;         // empty on the last page
};

// nullopt when the text is not an EnumerationResults document (a proxy's error page, a
// truncated body): the caller reports a failure rather than a short listing.
std::optional<BlobListPage> parse_blob_list(std::string_view xml);

}  // namespace luisy::cache::remote
