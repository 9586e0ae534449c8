import Foundation
internal import CCurl
internal import CCurlShims

/// libcurl's global initialization, once per process.
enum Libcurl {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// The response bytes and headers, filled by libcurl's callbacks.
final class TransferBuffer {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var limit: Int
    var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }
}

/// One HTTP POST through a libcurl easy handle that this value alone owns; the handle,
/// the header list and the request body stay alive until the transfer ends.
final class HTTPTransfer {
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// The outcome of a transfer.
    struct Result {
        var status: Int
        var body: [UInt8]
        var headers: [String: String]
    }

    init?() {
        guard Libcurl.initialized, let handle = curl_easy_init() else { return nil }
        self.handle = handle
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        curl_easy_cleanup(handle)
    }

    /// Posts `body` to `url` and waits for the answer.
    ///
    /// - Parameters:
    ///   - connectTimeout: seconds to establish the connection.
    ///   - totalTimeout: seconds for the whole transfer.
    ///   - responseLimit: bytes of body accepted; a larger answer is an error.
    func post(
        url: String, body: [UInt8], headers: [String], connectTimeout: Double, totalTimeout: Double, responseLimit: Int
    ) throws(ModelError) -> Result {
        let buffer = TransferBuffer(limit: responseLimit)
        let context = Unmanaged.passRetained(buffer)
        defer { context.release() }
        for header in headers { headerList = curl_slist_append(headerList, header) }

        var failures: [CURLcode] = []
        func set(_ option: CURLoption, _ value: Int) { failures.append(review_curl_setopt_long(handle, option, value)) }
        url.withCString { failures.append(review_curl_setopt_pointer(handle, CURLOPT_URL, $0)) }
        set(CURLOPT_POST, 1)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        set(CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000))
        set(CURLOPT_FOLLOWLOCATION, 0)
        failures.append(review_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList))
        failures.append(review_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()))
        failures.append(review_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()))
        failures.append(
            review_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                guard let data, let user else { return 0 }
                let buffer = Unmanaged<TransferBuffer>.fromOpaque(user).takeUnretainedValue()
                let length = size * count
                if buffer.body.count + length > buffer.limit {
                    buffer.overflowed = true
                    return 0  // abort the transfer
                }
                data.withMemoryRebound(to: UInt8.self, capacity: length) {
                    buffer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
                return length
            })
        failures.append(
            review_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                guard let data, let user else { return 0 }
                let length = size * count
                let buffer = Unmanaged<TransferBuffer>.fromOpaque(user).takeUnretainedValue()
                let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    buffer.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                }
                return length
            })
        if let failed = failures.first(where: { $0 != CURLE_OK }) {
            throw .unreachable(url: url, message: "libcurl setup: \(String(cString: curl_easy_strerror(failed)))")
        }
        let code: CURLcode = body.withUnsafeBufferPointer { pointer in
            _ = review_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(pointer.count))
            _ = review_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer.baseAddress)
            return curl_easy_perform(handle)
        }
        if buffer.overflowed {
            throw .invalidResponse("the answer is larger than \(responseLimit) bytes")
        }
        switch code {
        case CURLE_OK:
            break
        case CURLE_OPERATION_TIMEDOUT:
            throw .timeout(url: url, seconds: totalTimeout)
        default:
            throw .unreachable(url: url, message: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        _ = review_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Result(status: status, body: buffer.body, headers: buffer.headers)
    }
}
