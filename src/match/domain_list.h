// DomainList: the memcache table's "domain" parameter, a Postfix string
// match list: patterns separated by commas and/or whitespace, each
//   name        matches that exact domain, case-insensitively (no parent
//               or subdomain matching); case is folded as Postfix's
//               casefold() does: ASCII, or Unicode with utf8
//               (smtputf8_enable), see common/casefold.h
//   /file/name  patterns read from the file, one or more per line, "#"
//               comments
//   type:table  matches when the domain, as a key, is found in the table
//   !pattern    negation: a match stops the search with "no match"; before
//               a /file/name it negates every pattern in the file, and
//               "!!" cancels out (Postfix 3.7)
// Patterns are tried in order; the first that matches decides.  Commas and
// whitespace inside {braces} do not separate, so inline:{a.com=1, b.com=1}
// is one pattern.  A pattern that starts with "#" ends its line, with
// Postfix's warning "comment at end of line is not supported".
//
// A table in the list that fails makes Match return that error; a file or
// table that cannot be opened is a ConfigError from Create.  The list does
// not open tables itself: the caller passes an opener (the table layer's
// opens them read-only with key folding, as Postfix does), so this module
// depends on nothing but the common code.
#ifndef MCTABLE_MATCH_DOMAIN_LIST_H_
#define MCTABLE_MATCH_DOMAIN_LIST_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"

namespace mctable {

// A type:table pattern as the list uses it: does the table hold a key?
class ListedTable {
 public:
  virtual ~ListedTable() = default;
  // OK when the table holds `key`, NotFound when it does not, else the
  // table's error.
  virtual Status Find(std::string_view key) = 0;
  // "type:name", for messages.
  virtual std::string full_name() const = 0;
};

// Opens the "type:name" of a pattern; errors are returned as they come.
using ListedTableOpener =
    std::function<Status(std::string_view type_and_name, std::unique_ptr<ListedTable>* table)>;

class DomainList {
 public:
  // `origin` names the configuration in messages.  `open_table` opens the
  // type:table patterns (an empty opener makes every such pattern a
  // ConfigError).
  static Status Create(std::string_view patterns, std::string_view origin,
                       const ListedTableOpener& open_table, std::unique_ptr<DomainList>* out) {
    return Create(patterns, origin, /*utf8=*/false, open_table, out);
  }
  // The same with Unicode case folding when `utf8` is set.
  static Status Create(std::string_view patterns, std::string_view origin, bool utf8,
                       const ListedTableOpener& open_table, std::unique_ptr<DomainList>* out);

  // Sets *matched; returns an error only when a table in the list fails.
  Status Match(std::string_view domain, bool* matched) const;

  ~DomainList();

 private:
  struct Pattern {
    bool negated = false;
    std::string text;              // case-folded domain, when table is null
    std::unique_ptr<ListedTable> table;  // type:table pattern
  };
  DomainList() = default;
  // Adds the patterns in `text`; `negated` applies to all of them (a
  // "!/file/name" negates every pattern read from the file).
  Status AddPatterns(std::string_view text, bool negated, const ListedTableOpener& open_table,
                     int file_depth);

  std::string origin_;
  bool utf8_ = false;
  std::vector<Pattern> patterns_;
};

}  // namespace mctable

#endif  // MCTABLE_MATCH_DOMAIN_LIST_H_
