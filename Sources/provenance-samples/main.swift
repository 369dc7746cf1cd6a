// provenance-samples: writes the sample lineage (see `SampleLineage`) into Samples/.
//
//   provenance-samples [DIRECTORY]      (default: Samples)

import Foundation
import Perturbation

do {
    for path in try SampleLineage.write(to: CommandLine.arguments.dropFirst().first ?? "Samples") { print("wrote \(path)") }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
