// `pifind [TARGET...]`: resolves the interface and targets, scans, names vendors, prints the result.
// Returns the exit status: 0 found a Pi (any host with --all), 1 found none; errors throw Error (2).
#pragma once

#include <functional>

#include "scanner/scan_options.h"
#include "scanner/scan_result.h"

namespace pifind {

/// Receives the finished, vendor-labelled result (pifind's main merges it into --inventory).
using ScanResultSink = std::function<void(const ScanResult&)>;

int run_scan_command(const ScanOptions& options, const ScanResultSink& sink = {});

}  // namespace pifind
