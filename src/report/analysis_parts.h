#pragma once
// Internal: the steps of analyze(), one file each.
#include "report/analysis.h"

namespace fb::report::detail {

void add_correlations(Analysis& a);
void add_ceilings(Analysis& a, const ResultsDb& db);
void add_fits(Analysis& a);
void add_roofline(Analysis& a, const AnalysisOptions& opt);
// The speedup pair of an accelerated record, or null.
const Speedup* speedup_of(const Analysis& a, const Record* accel);

}  // namespace fb::report::detail
