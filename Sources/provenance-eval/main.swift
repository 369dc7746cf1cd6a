// provenance-eval: detection quality on a real lineage, side by side with the simple methods
// reviewers use today (`make eval`, docs/EVALUATION.md).
//
//   provenance-eval --lineage .eval/lineage --work .eval [--markdown PATH] [--null-pairs N]
//
// The lineage (base, release, sibling, release-ft, independent-1, independent-2) is built by
// eval/train_minilm.py; this program builds the suspects with the Perturbation library, runs
// provenance and three reference methods, calibrates the null and prints the table.

import Foundation

exit(EvaluationRun.main(arguments: Array(CommandLine.arguments.dropFirst())))
