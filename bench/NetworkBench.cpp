#include "Sections.h"
void shapeflow::bench::runNetworkSection(Report &, SuiteContext &) {}
