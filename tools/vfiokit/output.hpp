// How vfiokit prints: colour and aligned columns on a terminal, plain text
// otherwise, JSON with --json.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check/check.hpp"

namespace vfiokit::cli {

/// Options every subcommand shares.
struct GlobalOptions {
  bool json = false;
  bool color = false;      ///< resolved: a TTY, no --no-color, no NO_COLOR
  std::string root = "/";  ///< hidden --root: the directory that plays "/"
  std::string state_dir;   ///< --state-dir, else $VFIOKIT_STATE_DIR, else /var/lib/vfiokit
  std::string pci_ids;     ///< hidden --pci-ids: a pci.ids file for names
};

/// Colours (ANSI SGR) applied only when enabled.
class Painter {
 public:
  explicit Painter(bool enabled) : on_(enabled) {}
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string cyan(const std::string& s) const { return wrap("36", s); }
  /// "PASS" green, "WARN" yellow, "FAIL" red, "SKIP" dim (check::render_verdict).
  std::string verdict(check::Verdict v) const { return check::render_verdict(v, on_); }

 private:
  std::string wrap(const char* code, const std::string& s) const;
  bool on_;
};

/// Rows of cells printed with every column padded to its widest cell. A cell
/// may carry colour codes: widths count only visible characters.
class Table {
 public:
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Prints every row, each prefixed by `indent`.
  void print(std::FILE* out, const std::string& indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// Prints `j` indented, with a newline.
void print_json(const nlohmann::json& j);

}  // namespace vfiokit::cli
