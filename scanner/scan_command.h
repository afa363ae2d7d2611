// `pifind [TARGET...]`: resolves the interface and targets, scans, names vendors and hosts, prints the
// result (streaming it as hosts answer for jsonl and a table on a terminal). Returns the exit status:
// 0 found a Pi (any host with --all), 1 found none, 130/143 ended by SIGINT/SIGTERM; errors throw Error (2).
#pragma once

#include <functional>

#include "scanner/scan_options.h"
#include "scanner/scan_result.h"

namespace pifind {

/// Receives the finished, vendor-labelled result (pifind's main merges it into --inventory).
using ScanResultSink = std::function<void(const ScanResult&)>;

int run_scan_command(const ScanOptions& options, const ScanResultSink& sink = {});

}  // namespace pifind
