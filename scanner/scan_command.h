// `pifind [TARGET...]`: resolves the interface and targets, scans, names vendors, prints the result.
// Returns the exit status: 0 found a Pi (any host with --all), 1 found none; errors throw Error (2).
#pragma once

#include "scanner/scan_options.h"

namespace pifind {

int run_scan_command(const ScanOptions& options);

}  // namespace pifind
