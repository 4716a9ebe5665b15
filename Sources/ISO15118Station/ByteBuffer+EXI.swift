import EXI
import NIOCore

extension ByteBuffer {
    /// Encodes an EXI stream straight into a new buffer with `encode` (a generated `exiEncode(into:)`), without an
    /// intermediate array: 1 KB of room first, more when the stream does not fit (certificate messages).
    /// - Throws: what `encode` throws, or ``EXIError/Code/bufferTooSmall`` above 1 MiB.
    init(exiEncoding encode: (UnsafeMutableRawBufferPointer) throws(EXIError) -> Int) throws(EXIError) {
        var room = 1024
        while true {
            var buffer = ByteBufferAllocator().buffer(capacity: room)
            var failure: EXIError?
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { raw in
                do throws(EXIError) {
                    return try encode(raw)
                } catch {
                    failure = error
                    return 0
                }
            }
            guard let failure else {
                self = buffer
                return
            }
            guard failure.code == .bufferTooSmall, room < 1 << 20 else { throw failure }
            room *= 8
        }
    }

    /// Decodes the readable bytes in place with `decode` (a generated `init(exi: UnsafeRawBufferPointer)`), without
    /// copying them into an array.
    func exiDecoded<T>(_ decode: (UnsafeRawBufferPointer) throws(EXIError) -> T) throws(EXIError) -> T {
        let outcome: Result<T, EXIError> = self.withUnsafeReadableBytes {
            do throws(EXIError) {
                return .success(try decode($0))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
