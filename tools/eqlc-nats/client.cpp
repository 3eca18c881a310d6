// Connecting with a bounded retry: a node of a cluster that is still starting refuses connections for a moment.
#include "client.hpp"

#include <chrono>
#include <thread>

namespace eqlc_nats {

std::string status_text(natsStatus status, jsErrCode code) {
    std::string text = natsStatus_GetText(status);
    natsStatus last_status = NATS_OK;
    if (const char* last = nats_GetLastError(&last_status); last && *last && text.find(last) == std::string::npos)
        text += ": " + std::string(last);
    if (code != 0) text += " [JetStream error " + std::to_string(static_cast<int>(code)) + "]";
    return text;
}

bool is_transient(natsStatus status, jsErrCode code) {
    switch (status) {
        case NATS_TIMEOUT:
        case NATS_NO_RESPONDERS:
        case NATS_CONNECTION_CLOSED:
        case NATS_CONNECTION_DISCONNECTED:
        case NATS_NO_SERVER:
        case NATS_IO_ERROR:
        case NATS_STALE_CONNECTION:
        case NATS_NOT_YET_CONNECTED: return true;
        default: break;
    }
    return code == JSClusterNotAvailErr || code == JSClusterNoPeersErr || code == JSStreamOfflineErr;
}

Client::~Client() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
}

bool Client::connect(const std::string& url, const jsOptions* js_options, std::string& error, int seconds) {
    url_ = url;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (true) {
        natsOptions* options = nullptr;
        natsStatus status = natsOptions_Create(&options);
        if (status == NATS_OK) status = natsOptions_SetURL(options, url.c_str());
        if (status == NATS_OK) status = natsOptions_SetName(options, "eqlc-nats");
        if (status == NATS_OK) status = natsOptions_SetTimeout(options, 2000);
        // A node that goes away during a long publish is reconnected to; what it did not acknowledge is resent.
        if (status == NATS_OK) status = natsOptions_SetMaxReconnect(options, 120);
        if (status == NATS_OK) status = natsOptions_SetReconnectWait(options, 250);
        if (status == NATS_OK) status = natsConnection_Connect(&nc_, options);
        const std::string text = status == NATS_OK ? std::string() : status_text(status);
        natsOptions_Destroy(options);
        if (status == NATS_OK) break;
        nc_ = nullptr;
        if (std::chrono::steady_clock::now() >= deadline || !is_transient(status)) {
            error = url + ": cannot connect: " + text;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    jsOptions defaults;
    jsOptions_Init(&defaults);
    jsOptions options = js_options ? *js_options : defaults;
    if (const natsStatus status = natsConnection_JetStream(&js_, nc_, &options); status != NATS_OK) {
        js_ = nullptr;
        error = url + ": cannot open a JetStream context: " + status_text(status);
        return false;
    }
    return true;
}

}  // namespace eqlc_nats
