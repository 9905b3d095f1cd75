// Azure List Blobs answers, reduced to names and the next marker.
#include <doctest/doctest.h>

#include "luisy/cache/remote/azure_list.h"

using luisy::cache::remote::parse_blob_list;

TEST_CASE("azure list: names and the next marker, entities decoded") {
  auto page = parse_blob_list(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"http://127.0.0.1/devstoreaccount1\" ContainerName=\"c\"><Prefix>p/ac/"
      "</Prefix><MaxResults>2</MaxResults><Blobs><Blob><Name>p/ac/0011</Name><Properties>"
      "<Content-Length>10</Content-Length></Properties></Blob><Blob><Name>p/ac/a&amp;b</Name>"
      "</Blob></Blobs><NextMarker>2!8!cC9hYy9h</NextMarker></EnumerationResults>");
  REQUIRE(page);
  CHECK(page->names == std::vector<std::string>{"p/ac/0011", "p/ac/a&b"});
  CHECK(page->next_marker == "2!8!cC9hYy9h");
}

TEST_CASE("azure list: the last page, an empty listing") {
  auto page = parse_blob_list("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  REQUIRE(page);
  CHECK(page->names.empty());
  CHECK(page->next_marker.empty());
}

TEST_CASE("azure list: a cut or foreign document is refused, not read as a short listing") {
  CHECK_FALSE(parse_blob_list("<EnumerationResults><Blobs><Blob><Name>p/ac/00</Name></Blob>"));
  CHECK_FALSE(parse_blob_list("<html>proxy error</html>"));
  CHECK_FALSE(parse_blob_list(""));
}
