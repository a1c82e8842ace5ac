// The status page (GET / on the metrics port): one self-contained HTML document, with its CSS and
// script inline and nothing fetched from elsewhere, that reads /status.json (status_json.h) from
// the same origin every few seconds and draws the table and the charts in the browser.
//
// The script builds the DOM with textContent and setAttribute only, never innerHTML, so names
// from the keyspace cannot become markup whatever bytes they hold. The ids, classes and data-
// attributes the test suite finds (tests/integration/status_page_test.cc) are part of the page's
// contract: #groups tbody tr.group-row[data-db][data-stream][data-group] with cells td.lag,
// td.pending, td.oldest, td.dead, td.consumers; tr#omitted; svg#chart-lag and
// svg#chart-throughput with one path.line per series; #summary; #error.
#pragma once

#include <string_view>

namespace runnel::server {

std::string_view StatusPageHtml();

}  // namespace runnel::server
