// ldap_pipeline_client: the yardstick of bench/ldap_bench.sh, a minimal
// pipelined LDAP client on libldap that uses none of mctable.  It reads keys
// from stdin, searches (KEY_ATTRIBUTE=KEY) under BASE for each, asking for
// RESULT_ATTRIBUTE, with up to
// WINDOW searches outstanding on each of CONNECTIONS connections (one
// thread each, keys dealt round-robin), and prints "key<TAB>v1,v2" for the
// keys found, in input order.  No quoting, recursion or limits: the least
// work a client can do for the same answers.
//
//   ldap_pipeline_client URL BASE KEY_ATTRIBUTE RESULT_ATTRIBUTE [CONNECTIONS=2] [WINDOW=64] < keys
#include <ldap.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

void Serve(const char* url, const char* base, const char* key_attribute, const char* attribute,
           const std::vector<std::string>& keys,
           size_t first, size_t stride, int window, std::vector<std::string>* answers) {
  LDAP* ld = nullptr;
  if (ldap_initialize(&ld, url) != LDAP_SUCCESS) {
    std::fprintf(stderr, "ldap_initialize failed\n");
    std::exit(2);
  }
  int version = 3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  char* attributes[] = {const_cast<char*>(attribute), nullptr};
  std::unordered_map<int, size_t> outstanding;
  size_t next = first;
  std::string filter;
  while (next < keys.size() || !outstanding.empty()) {
    while (next < keys.size() && outstanding.size() < static_cast<size_t>(window)) {
      filter = std::string("(") + key_attribute + "=" + keys[next] + ")";
      int msgid = 0;
      if (ldap_search_ext(ld, base, LDAP_SCOPE_SUBTREE, filter.c_str(), attributes, 0, nullptr, nullptr, nullptr,
                          0, &msgid) != LDAP_SUCCESS) {
        std::fprintf(stderr, "search failed\n");
        std::exit(2);
      }
      outstanding[msgid] = next;
      next += stride;
    }
    LDAPMessage* result = nullptr;
    if (ldap_result(ld, LDAP_RES_ANY, LDAP_MSG_ALL, nullptr, &result) <= 0) {
      std::fprintf(stderr, "ldap_result failed\n");
      std::exit(2);
    }
    auto found = outstanding.find(ldap_msgid(result));
    std::string& answer = (*answers)[found->second];
    outstanding.erase(found);
    for (LDAPMessage* entry = ldap_first_entry(ld, result); entry; entry = ldap_next_entry(ld, entry)) {
      berval** values = ldap_get_values_len(ld, entry, attribute);
      for (int i = 0; values != nullptr && values[i] != nullptr; ++i) {
        if (!answer.empty()) answer.push_back(',');
        answer.append(values[i]->bv_val, values[i]->bv_len);
      }
      if (values != nullptr) ldap_value_free_len(values);
    }
    ldap_msgfree(result);
  }
  ldap_unbind_ext(ld, nullptr, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL BASE KEY_ATTRIBUTE RESULT_ATTRIBUTE [CONNECTIONS] [WINDOW] < keys\n", argv[0]);
    return 2;
  }
  const int connections = argc > 5 ? std::atoi(argv[5]) : 2;
  const int window = argc > 6 ? std::atoi(argv[6]) : 64;
  std::vector<std::string> keys;
  for (std::string line; std::getline(std::cin, line);) keys.push_back(line);
  std::vector<std::string> answers(keys.size());
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c)
    threads.emplace_back(Serve, argv[1], argv[2], argv[3], argv[4], std::cref(keys), static_cast<size_t>(c),
                         static_cast<size_t>(connections), window, &answers);
  for (std::thread& thread : threads) thread.join();
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i)
    if (!answers[i].empty()) out += keys[i] + "\t" + answers[i] + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
