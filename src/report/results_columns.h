#pragma once
// The `measurements` table of the results database (docs/results_schema.md), one entry per column, in
// table order. Its DDL, the writer's INSERT (study/store.cpp), the reader's SELECT (results_db.cpp) and the
// documented CREATE TABLE (compared by a test) all come from this list: a column is added here, once.
#include <string>
#include <vector>

namespace fb::report {

enum class ColumnType { Real, Integer, Text };

// Where `study run` takes a column's value from a point record (formbench.point/2, a bench-shaped object).
enum class ColumnSource {
  Key,        // record[key] as it is; a boolean as 1/0; NULL when absent, null or of another type
  Counters,   // record.counters[key]
  Agreement,  // record.agreement[key]
  JsonText,   // record[key] written as JSON text; NULL when absent
  Record,     // the whole record as JSON text
  PointId,    // set by the writer: the point, its machine, the time of writing
  MachineId,
  FinishedAt,
};

struct Column {
  const char* name;
  ColumnType type;
  ColumnSource source;
  const char* key;         // the record's key for Key, Counters, Agreement and JsonText; else ""
  const char* constraint;  // e.g. "NOT NULL REFERENCES machines(id)"; "" for none
};

const std::vector<Column>& measurement_columns();

// "CREATE TABLE IF NOT EXISTS measurements (...)" with one line per column.
std::string measurements_ddl();

const char* sql_type_name(ColumnType t);

}  // namespace fb::report
