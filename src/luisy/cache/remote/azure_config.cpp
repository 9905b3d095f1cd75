#include "luisy/cache/remote/azure_config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>

#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::cache::remote {

const char* const kDevelopmentStorageKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

namespace {

constexpr const char* kDevelopmentEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

// "Key=Value;Key=Value": split on ';', then on the first '=' only (keys end in '=').
std::map<std::string, std::string> parse_connection_string(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const std::string& part : util::split(text, ';')) {
    size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    std::string name = part.substr(0, eq);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    fields[name] = part.substr(eq + 1);
  }
  return fields;
}

std::string strip_trailing_slash(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

// An endpoint whose host is a plain IP or localhost names the account in its path, as the
// Azurite emulator and Azure Stack do.
bool is_path_style(const std::string& endpoint) {
  size_t scheme = endpoint.find("://");
  std::string rest = scheme == std::string::npos ? endpoint : endpoint.substr(scheme + 3);
  std::string host = rest.substr(0, rest.find_first_of("/"));
  std::string path = rest.size() > host.size() ? rest.substr(host.size()) : "";
  host = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
  bool ip_like = !host.empty() && host.find_first_not_of("0123456789.[]:") == std::string::npos;
  return (ip_like || host == "localhost") && path.size() > 1;
}

std::string non_empty(const std::optional<std::string>& value) {
  return value ? *value : "";
}

}  // namespace

std::optional<std::string> process_getenv(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return std::nullopt;
  return std::string(value);
}

AzureConfig azure_config_from(const std::string& url, const GetEnv& getenv) {
  AzureConfig config;

  // Lowest precedence first: the connection string, then luisy's variables, then the URL.
  std::string connection = non_empty(getenv("AZURE_STORAGE_CONNECTION_STRING"));
  if (!connection.empty()) {
    auto fields = parse_connection_string(connection);
    if (fields["UseDevelopmentStorage"] == "true") {
      config.account = "devstoreaccount1";
      config.shared_key = kDevelopmentStorageKey;
      config.endpoint = kDevelopmentEndpoint;
    }
    if (!fields["AccountName"].empty()) config.account = fields["AccountName"];
    if (!fields["AccountKey"].empty()) config.shared_key = fields["AccountKey"];
    if (!fields["SharedAccessSignature"].empty())
      config.sas_token = fields["SharedAccessSignature"];
    if (!fields["BlobEndpoint"].empty()) {
      config.endpoint = fields["BlobEndpoint"];
    } else if (!config.account.empty() && config.endpoint.empty()) {
      std::string protocol =
          fields["DefaultEndpointsProtocol"].empty() ? "https" : fields["DefaultEndpointsProtocol"];
      std::string suffix =
          fields["EndpointSuffix"].empty() ? "core.windows.net" : fields["EndpointSuffix"];
      config.endpoint = fmt::format("{}://{}.blob.{}", protocol, config.account, suffix);
    }
  }
  if (auto value = getenv("LUISY_AZURE_ACCOUNT_NAME"); value && !value->empty())
    config.account = *value;
  if (auto value = getenv("LUISY_AZURE_CONTAINER_NAME"); value && !value->empty())
    config.container = *value;
  if (auto value = getenv("LUISY_AZURE_STORAGE_KEY"); value && !value->empty())
    config.shared_key = *value;
  if (auto value = getenv("LUISY_AZURE_SAS_TOKEN"); value && !value->empty())
    config.sas_token = *value;
  if (auto value = getenv("LUISY_AZURE_ENDPOINT"); value && !value->empty())
    config.endpoint = *value;

  if (!url.empty()) {
    const std::string scheme = "azure://";
    if (url.rfind(scheme, 0) != 0)
      throw Error(
          fmt::format("'{}' is not an Azure URL (expected azure://ACCOUNT/CONTAINER[/PREFIX])",
                      url.substr(0, url.find('?'))));
    if (url.find('?') != std::string::npos)
      throw Error(
          "an azure:// URL must not carry a query string: pass a SAS token in "
          "LUISY_AZURE_SAS_TOKEN instead");
    std::string rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string account = rest.substr(0, slash);
    if (!account.empty()) config.account = account;
    if (slash != std::string::npos) {
      rest = rest.substr(slash + 1);
      slash = rest.find('/');
      std::string container = rest.substr(0, slash);
      if (!container.empty()) config.container = container;
      if (slash != std::string::npos) {
        std::string prefix = rest.substr(slash + 1);
        while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
        config.prefix_from_url = prefix;
      }
    }
  }

  while (!config.sas_token.empty() && config.sas_token.front() == '?') config.sas_token.erase(0, 1);

  std::vector<std::string> missing;
  if (config.account.empty())
    missing.push_back("the storage account (azure://ACCOUNT/... or LUISY_AZURE_ACCOUNT_NAME)");
  if (config.container.empty())
    missing.push_back("the container (azure://ACCOUNT/CONTAINER or LUISY_AZURE_CONTAINER_NAME)");
  if (config.shared_key.empty() && config.sas_token.empty())
    missing.push_back(
        "credentials (LUISY_AZURE_STORAGE_KEY, LUISY_AZURE_SAS_TOKEN or "
        "AZURE_STORAGE_CONNECTION_STRING)");
  if (!missing.empty())
    throw Error(
        fmt::format("the Azure remote is not configured: missing {}", util::join(missing, "; ")));

  // Both become part of a host name or URL path: a pipeline's `remote:` (hostile input like
  // the rest of the file) must not be able to point signed requests at another host.
  auto only = [](const std::string& text, std::string_view extra) {
    for (char c : text)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            extra.find(c) != std::string_view::npos))
        return false;
    return true;
  };
  if (!only(config.account, ""))
    throw Error(
        fmt::format("invalid Azure storage account name '{}': use lowercase letters and digits",
                    config.account));
  if (!only(config.container, "-") && config.container != "$root")
    throw Error(
        fmt::format("invalid Azure container name '{}': use lowercase letters, digits and '-'",
                    config.container));

  if (config.endpoint.empty())
    config.endpoint = fmt::format("https://{}.blob.core.windows.net", config.account);
  config.endpoint = strip_trailing_slash(config.endpoint);
  config.path_style = is_path_style(config.endpoint);
  return config;
}

}  // namespace luisy::cache::remote
