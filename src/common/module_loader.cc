// LoadModuleEntry; see module_loader.h.
#include "common/module_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/module_entry.h"

namespace mctable {
namespace {

std::mutex& LoaderMutex() {
  static std::mutex mutex;
  return mutex;
}

// Module name -> handle of every module loaded so far (never closed: the
// objects a module made may outlive any one table).
std::map<std::string, void*, std::less<>>& LoadedModules() {
  static auto* modules = new std::map<std::string, void*, std::less<>>;
  return *modules;
}

std::string LoaderError() {
  const char* error = dlerror();
  return error != nullptr ? error : "unknown error";
}

// The directory of the program or shared library this code is part of.
std::string OwnDirectory() {
  Dl_info info{};
  std::string path;
  if (dladdr(reinterpret_cast<void*>(&LoadModuleEntry), &info) != 0 && info.dli_fname != nullptr)
    path = info.dli_fname;
  if (path.empty() || path.front() != '/') {
    // The main program is named as it was run (maybe relative to a
    // directory since left): ask the kernel.
    char buffer[4096];
    ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
    path = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// The places a module may be, in order (module_loader.h).
std::vector<std::string> ModuleCandidates(const std::string& file) {
  std::vector<std::string> candidates;
  std::string own = OwnDirectory();
  if (!own.empty()) {
    for (const char* relative : {"modules", "mctable", MCTABLE_MODULE_FROM_PROGRAMS})
      candidates.push_back(own + "/" + relative + "/" + file);
  }
  candidates.push_back(std::string(MCTABLE_MODULE_INSTALL_DIR) + "/" + file);
  return candidates;
}

Status OpenModule(std::string_view module, void** handle) {
  std::string file = ModuleFileName(module);
  std::vector<std::string> candidates = ModuleCandidates(file);
  *handle = nullptr;
  for (const std::string& path : candidates) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (*handle == nullptr)
      return Status::ConfigError("cannot load the " + std::string(module) + " module: " + LoaderError());
    break;
  }
  if (*handle == nullptr) {
    std::string where;
    for (const std::string& path : candidates) where += (where.empty() ? "" : ", ") + path;
    return Status::ConfigError("cannot load the " + std::string(module) + " module: " + file +
                               " is not installed (looked for " + where + ")");
  }
  auto version = reinterpret_cast<ModuleVersionFunction>(dlsym(*handle, MCTABLE_MODULE_VERSION_SYMBOL));
  if (version == nullptr || std::string_view(version()) != MCTABLE_MODULE_ABI) {
    std::string found = version == nullptr ? "no version" : "version " + std::string(version());
    dlclose(*handle);
    *handle = nullptr;
    return Status::ConfigError("cannot load the " + std::string(module) + " module " + file + ": built for " +
                               found + ", this library is version " + MCTABLE_MODULE_ABI);
  }
  return Status::OK();
}

}  // namespace

std::string ModuleFileName(std::string_view module) { return "mctable-" + std::string(module) + ".so"; }

Status LoadModuleEntry(std::string_view module, const char* entry, void** address) {
  std::lock_guard<std::mutex> lock(LoaderMutex());
  auto it = LoadedModules().find(module);
  if (it == LoadedModules().end()) {
    void* handle = nullptr;
    Status s = OpenModule(module, &handle);
    if (!s.ok()) return s;
    it = LoadedModules().emplace(std::string(module), handle).first;
  }
  *address = dlsym(it->second, entry);
  if (*address == nullptr)
    return Status::ConfigError("module " + ModuleFileName(module) + " has no entry point " + entry);
  return Status::OK();
}

}  // namespace mctable
