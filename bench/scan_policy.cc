// bench/scan_policy: what the scanner's miss target costs in frames and gives in recall, from the real
// ProbeScheduler on a simulated LAN (not a test; no packets). For each target: the loss-free scan of the
// bench/scan /24 (100 live of 253) and sparse /20 (101 live), then the same at 30% frame loss each way,
// and the frames-under-loss / loss-free ratio, beside the floor no ARP scanner can go below at 99% recall.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/support/simulated_lan.h"

using namespace pifind;

int main(int argc, char** argv) {
  const int seeds_24 = argc > 1 ? std::max(1, std::atoi(argv[1])) : 40;
  const int seeds_20 = std::max(1, seeds_24 / 10);
  const double loss = 0.30;
  const double q = 1 - (1 - loss) * (1 - loss);  // a probe to a live host goes unanswered
  const double floor_tries = std::log(0.01) / std::log(q);
  std::printf("miss target: the policy's chance of missing a live host (pifind's default %.3f); %d seeds on the /24, %d on "
              "the /20, %.0f%% loss per frame each way (q = %.2f)\n",
              ScanPolicy{}.miss_probability, seeds_24, seeds_20, loss * 100, q);
  std::printf("%-8s %-5s %22s %30s %8s %7s %s\n", "target", "case", "loss-free frames/tries", "30% loss: frames, recall",
              "ratio", "floor", "tries under loss (tries x runs)");
  for (const double target : {0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02}) {
    ScanPolicy policy;
    policy.miss_probability = target;
    for (const int prefix : {24, 20}) {
      test::SimulatedLan lan = prefix == 24 ? test::dense_24() : test::spread_hosts(101, 20);
      const auto targets = test::simulated_block(prefix);
      const auto clean = lan.scan(targets, policy);
      lan.frame_loss = loss;
      const int seeds = prefix == 24 ? seeds_24 : seeds_20;
      double found = 0, sent = 0;
      std::map<int, int> tries;
      for (int seed = 1; seed <= seeds; ++seed) {
        lan.seed = static_cast<std::uint32_t>(seed);
        const auto outcome = lan.scan(targets, policy);
        found += static_cast<double>(outcome.found.size());
        sent += static_cast<double>(outcome.sent);
        ++tries[outcome.allowed_tries];
      }
      std::string spread;
      for (const auto& [t, runs] : tries) spread += std::to_string(t) + "x" + std::to_string(runs) + " ";
      const double live = static_cast<double>(lan.live.size());
      const double silent = static_cast<double>(targets.size()) - live;
      const double mean_sent = sent / seeds;
      std::printf("%-8.4f /%-4d %15llu / %d %20.0f, %6.2f%% %7.2fx %6.2fx %s\n", target, prefix,
                  static_cast<unsigned long long>(clean.sent), clean.allowed_tries, mean_sent,
                  100 * found / (seeds * live), mean_sent / static_cast<double>(clean.sent),
                  floor_tries * silent / static_cast<double>(clean.sent), spread.c_str());
    }
  }
  std::printf("floor: %.2f requests per silent address (mean recall >= 99%% needs mean q^t <= 0.01; Jensen), over this "
              "target's loss-free frames, before any frame to a live host\n",
              floor_tries);
  return 0;
}
