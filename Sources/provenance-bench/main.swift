// provenance-bench: throughput and memory benchmarks, one section per library.
//
//   provenance-bench                 run every section, each in its own process
//   provenance-bench reader          run one section
//   provenance-bench --list          list sections
//
// To add a section: write a type conforming to `BenchmarkSection` and list it in
// `BenchmarkRunner.sections`.

import Foundation

exit(BenchmarkRunner.main(arguments: Array(CommandLine.arguments.dropFirst())))
