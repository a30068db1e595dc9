#include "kh/provisioning/http_client.hpp"

#include <curl/curl.h>

#include <mutex>

#include "kh/provisioning/tokens.hpp"

namespace kh::provisioning {

namespace {
std::size_t on_data(char* p, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}
}  // namespace

http_reply http_send(const http_call& call) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  http_reply r;
  CURL* h = curl_easy_init();
  if (!h) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_slist* headers = nullptr;
  std::string auth;
  if (!call.bearer.empty()) {
    auth = "Authorization: Bearer " + call.bearer;
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (!call.body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (!call.body.empty() || call.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!call.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, call.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

std::optional<identity> enroll(const std::string& uri, std::string* error, const std::string& ca_file) {
  const auto set = [&](const std::string& e) {
    if (error) *error = e;
    return std::nullopt;
  };
  const auto u = parse_enrollment_uri(uri);
  if (!u) return set("bad_uri: not an enrollment URI (kioskhub+http[s]://HOST:PORT/enroll/khe1.…)");
  http_call c;
  c.method = "POST";
  c.url = u->hub_url() + "/api/v1/enroll";
  c.body = nlohmann::json{{"token", u->token}}.dump();
  c.ca_file = ca_file;
  const auto r = http_send(c);
  if (r.status == 0) return set("unreachable: " + r.error);
  const auto j = r.json();
  if (r.status != 200) {
    if (j.is_object() && j.contains("code"))
      return set(j.value("code", "error") + ": " + j.value("message", ""));
    return set("http_" + std::to_string(r.status) + ": " + r.body.substr(0, 200));
  }
  auto id = identity_from_json(j);
  if (!id) return set("bad_identity: " + id.error().message);
  id.value().hub_url = u->hub_url();
  return std::move(id).value();
}

}  // namespace kh::provisioning
