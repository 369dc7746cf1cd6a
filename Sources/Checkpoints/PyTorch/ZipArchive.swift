/// The records of a zip archive as `torch.save` writes it: read from the central directory
/// (zip64 included), each record's data located through its local header and checked to lie
/// inside the file, before the central directory, without overlapping another record.
///
/// Only what reading stored records in place needs is parsed; compression and encryption
/// are reported when a record that must be read uses them.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var size: UInt64
        /// Absolute offset of the record's data (after its local header).
        var dataOffset: UInt64
    }

    /// Central directory limits: far above what a checkpoint needs (one record per storage).
    static let maximumCentralDirectoryBytes: UInt64 = 64 << 20
    static let endRecordSize = 22
    static let maximumCommentBytes = 65_535

    let entries: [Entry]
    private let byName: [String: Int]

    func entry(named name: String) -> Entry? { byName[name].map { entries[$0] } }

    init(file: ReadOnlyFile) throws(CheckpointError) {
        let name = file.displayName
        func invalid(_ reason: String) -> CheckpointError {
            CheckpointError(file: name, rule: .pytorch(.zipInvalid(reason: reason)))
        }

        // End of central directory: the last "PK\5\6" whose comment reaches the end of the file.
        guard file.size >= UInt64(Self.endRecordSize) else { throw CheckpointError(file: name, rule: .pytorch(.notZip)) }
        let tailLength = Int(min(file.size, UInt64(Self.endRecordSize + Self.maximumCommentBytes)))
        let tailStart = file.size - UInt64(tailLength)
        let tail = try file.readBytes(count: tailLength, at: tailStart)
        var endIndex: Int?
        var index = tailLength - Self.endRecordSize
        while index >= 0 {
            if le32(tail, index) == 0x0605_4B50, index + Self.endRecordSize + Int(le16(tail, index + 20)) == tailLength {
                endIndex = index
                break
            }
            index -= 1
        }
        guard let end = endIndex else { throw CheckpointError(file: name, rule: .pytorch(.notZip)) }
        let endOffset = tailStart + UInt64(end)
        guard le16(tail, end + 4) == 0, le16(tail, end + 6) == 0 else {
            throw invalid("it spans several disks")
        }
        var entryCount = UInt64(le16(tail, end + 10))
        var directorySize = UInt64(le32(tail, end + 12))
        var directoryOffset = UInt64(le32(tail, end + 16))
        var directoryEnd = endOffset

        // Zip64: a locator just before the end record points at the zip64 end record.
        if endOffset >= 20 {
            let locator = try file.readBytes(count: 20, at: endOffset - 20)
            if le32(locator, 0) == 0x0706_4B50 {
                let recordOffset = le64(locator, 8)
                guard recordOffset <= endOffset - 20, endOffset - 20 - recordOffset >= 56 else {
                    throw invalid("the zip64 end-of-central-directory locator points outside the file")
                }
                let record = try file.readBytes(count: 56, at: recordOffset)
                guard le32(record, 0) == 0x0606_4B50 else {
                    throw invalid("no zip64 end-of-central-directory record where the locator points (byte \(recordOffset))")
                }
                entryCount = le64(record, 32)
                directorySize = le64(record, 40)
                directoryOffset = le64(record, 48)
                directoryEnd = recordOffset
            }
        }
        guard directoryOffset <= directoryEnd, directorySize <= directoryEnd - directoryOffset else {
            throw invalid("the central directory (\(directorySize) bytes at byte \(directoryOffset)) does not fit before byte \(directoryEnd)")
        }
        guard directorySize <= Self.maximumCentralDirectoryBytes else {
            throw invalid("the central directory is \(directorySize) bytes, above the \(Self.maximumCentralDirectoryBytes)-byte limit")
        }
        guard entryCount <= directorySize / 46 else {
            throw invalid("it declares \(entryCount) records, more than its \(directorySize)-byte central directory can hold")
        }

        let directory = try file.readBytes(count: Int(directorySize), at: directoryOffset)
        var entries: [Entry] = []
        var byName: [String: Int] = [:]
        var spans: [(start: UInt64, end: UInt64, name: String)] = []
        var position = 0
        for _ in 0..<Int(entryCount) {
            guard position + 46 <= directory.count, le32(directory, position) == 0x0201_4B50 else {
                throw invalid("central directory record at byte \(directoryOffset + UInt64(position)) is malformed")
            }
            let flags = le16(directory, position + 8)
            let method = le16(directory, position + 10)
            let crc = le32(directory, position + 16)
            var compressedSize = UInt64(le32(directory, position + 20))
            var size = UInt64(le32(directory, position + 24))
            let nameLength = Int(le16(directory, position + 28))
            let extraLength = Int(le16(directory, position + 30))
            let commentLength = Int(le16(directory, position + 32))
            var localOffset = UInt64(le32(directory, position + 42))
            let recordEnd = position + 46 + nameLength + extraLength + commentLength
            guard recordEnd <= directory.count else {
                throw invalid("central directory record at byte \(directoryOffset + UInt64(position)) runs past the directory")
            }
            let nameBytes = Array(directory[position + 46..<position + 46 + nameLength])
            let entryName = String(decoding: nameBytes, as: UTF8.self)
            guard entryName.utf8.elementsEqual(nameBytes) else { throw invalid("a record name is not valid UTF-8") }

            // Zip64 extended information: 64-bit values for fields saturated at 0xFFFFFFFF.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = le16(directory, extra)
                let length = Int(le16(directory, extra + 2))
                guard extra + 4 + length <= extraEnd else { throw invalid("record '\(entryName)' has a malformed extra field") }
                if id == 0x0001 {
                    var field = extra + 4
                    func next() throws(CheckpointError) -> UInt64 {
                        guard field + 8 <= extra + 4 + length else { throw invalid("record '\(entryName)' has a short zip64 field") }
                        defer { field += 8 }
                        return le64(directory, field)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard byName[entryName] == nil else { throw CheckpointError(file: name, rule: .pytorch(.zipDuplicateEntry(entry: entryName))) }

            // The local header gives the data offset (its name and extra lengths may differ from the central copy).
            guard localOffset <= directoryOffset, directoryOffset - localOffset >= 30 else {
                throw CheckpointError(file: name, rule: .pytorch(.zipEntryBeyondFile(entry: entryName, end: localOffset + 30, limit: directoryOffset)))
            }
            let local = try file.readBytes(count: 30, at: localOffset)
            guard le32(local, 0) == 0x0403_4B50 else {
                throw invalid("record '\(entryName)' has no local header at byte \(localOffset)")
            }
            let dataOffset = localOffset + 30 + UInt64(le16(local, 26)) + UInt64(le16(local, 28))
            let storedSize = method == 0 ? size : compressedSize
            let (dataEnd, overflow) = dataOffset.addingReportingOverflow(storedSize)
            guard !overflow, dataEnd <= directoryOffset else {
                throw CheckpointError(file: name, rule: .pytorch(.zipEntryBeyondFile(entry: entryName, end: overflow ? .max : dataEnd, limit: directoryOffset)))
            }
            if method == 0, compressedSize != size {
                throw invalid("stored record '\(entryName)' declares \(compressedSize) stored bytes for \(size) bytes of data")
            }
            byName[entryName] = entries.count
            entries.append(Entry(name: entryName, method: method, flags: flags, crc32: crc, size: size, dataOffset: dataOffset))
            spans.append((localOffset, dataEnd, entryName))
            position = recordEnd
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw CheckpointError(file: name, rule: .pytorch(.zipEntriesOverlap(entry: next.name, other: previous.name)))
        }
        self.entries = entries
        self.byName = byName
    }

    /// Checks a record can be read in place: stored and not encrypted.
    static func requireStored(_ entry: Entry, file: String) throws(CheckpointError) {
        if entry.flags & 1 != 0 { throw CheckpointError(file: file, rule: .pytorch(.zipEntryEncrypted(entry: entry.name))) }
        if entry.method != 0 { throw CheckpointError(file: file, rule: .pytorch(.zipEntryCompressed(entry: entry.name, method: entry.method))) }
    }

    /// Reads a small record whole and verifies its CRC-32.
    static func readVerified(_ entry: Entry, from file: ReadOnlyFile) throws(CheckpointError) -> [UInt8] {
        try requireStored(entry, file: file.displayName)
        let bytes = try file.readBytes(count: Int(entry.size), at: entry.dataOffset)
        guard CRC32.checksum(bytes) == entry.crc32 else {
            throw CheckpointError(file: file.displayName, rule: .pytorch(.zipChecksumMismatch(entry: entry.name)))
        }
        return bytes
    }
}

@inline(__always) private func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
@inline(__always) private func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16 }
@inline(__always) private func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32 }
