// What the SQL drivers need to know about SQL text: server messages made
// into one log line, and whether a query template may be sent many at a
// time (pipelined, or joined into one multi-statement request) with the
// same meaning as one at a time.  Pure functions; they cannot fail.
#ifndef MCTABLE_TABLE_SQL_SQL_TEXT_H_
#define MCTABLE_TABLE_SQL_SQL_TEXT_H_

#include <string>
#include <string_view>

namespace mctable {

// A server or library message as one line: each run of whitespace (line
// breaks included) becomes one space, leading and trailing whitespace go,
// other control characters are escaped as \xHH.  (Postfix prints each
// such byte as "?".)
std::string OneLine(std::string_view message);

// True when the template holds one statement: no ";" but at its end.
// PostgreSQL's extended protocol (needed to pipeline) takes one statement
// per query, while Postfix's PQexec takes several; a template with more
// is run one query at a time, as Postfix does.
bool IsSingleStatement(std::string_view query_template);

// True when queries from this template can be joined with ";" into one
// MySQL multi-statement request and each still yields exactly one result
// that cannot be confused with the next: it starts with SELECT or WITH;
// outside its single-quoted literals there is no ";", "#", "--", "/*",
// backquote, double quote or backslash; and every substitution (%s %u ...,
// not %%) is inside a single-quoted literal, where the driver's escaping
// keeps the key.  Anything else is run one query at a time, with
// multi-statements off, exactly as Postfix does, so that a key can never
// add a statement.
bool IsMultiStatementSafe(std::string_view query_template);

// True when the queries from this template for many keys may be sent as
// one MySQL statement, one parenthesized UNION ALL branch per key with the
// key's tag as an added first column ("(SELECT 17, <rest of the query>)"),
// and each branch then gives exactly the rows and values the query alone
// gives.  *select_list is the offset just past the template's leading
// SELECT (a query expanded from the template has the same prefix).  The
// template must be IsMultiStatementSafe and: start with SELECT (no "(",
// no WITH) followed by a select list that accepts a leading column (no
// "*", ALL, DISTINCT, DISTINCTROW, HIGH_PRIORITY, STRAIGHT_JOIN, SQL_...);
// have no UNION, INTERSECT, EXCEPT, INTO, FOR, LOCK or PROCEDURE (its own
// set operations, or what a branch may not hold); have every substitution
// after its top-level WHERE, so that the select lists of all branches are
// the same text and UNION's type merging of the columns changes no value
// (ROUND(v, '%s') in the select list would); and have no top-level ORDER
// BY or GROUP BY without a top-level LIMIT, because MariaDB drops the
// ordering of a branch that has no LIMIT.  Words after "." are names, not
// keywords.  Conservative: anything else is false.
bool IsUnionBatchSafe(std::string_view query_template, size_t* select_list);

// The template as a PostgreSQL statement with parameters, when that means
// the same: every substitution is a whole single-quoted literal ('%s',
// '%u', '%1'...), which becomes $1, $2... (the same escape, the same
// parameter; escapes[n] is the escape letter of $n+1), and "%%" becomes
// "%".  The statement is then parsed and planned once per connection, not
// once per key.  False (one query text per key, as Postfix) when the
// template holds anything whose meaning could change: several statements,
// a substitution outside a literal or with other text in its literal, a
// prefixed literal (E'', U&''), "$", a backslash, or a comment.  A server
// may still refuse to prepare it (a parameter whose type it cannot
// infer); the caller then falls back to query texts.
bool ParameterizeQuery(std::string_view query_template, std::string* statement, std::string* escapes);

// The same for MySQL, whose placeholders are "?" and bound in the order
// they appear: *escapes has one letter per placeholder ('%u' twice gives
// "uu").  False where ParameterizeQuery is false.
bool ParameterizeMysqlQuery(std::string_view query_template, std::string* statement, std::string* escapes);

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_SQL_TEXT_H_
