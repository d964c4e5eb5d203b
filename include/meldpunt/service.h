/* service.h - the server under systemd (Type=notify, sd_notify through
 * libsystemd): READY=1 once it listens, STOPPING=1 when it starts to stop,
 * and, when the unit sets WatchdogSec=, WATCHDOG=1 at half that interval
 * for as long as a worker context still gets an answer from the database:
 * a server whose workers are all stuck stops pinging and is restarted.
 * Without systemd (no NOTIFY_SOCKET) every call does nothing.
 *
 * Ownership: mp_service_ready returns a NEW object in *out
 * (mp_service_stopping frees it); app is borrowed and must outlive it.
 * Thread-safety: call both from the main thread.
 */
#ifndef MELDPUNT_SERVICE_H
#define MELDPUNT_SERVICE_H

#include "meldpunt/app.h"
#include "meldpunt/status.h"

struct mp_service;

/* Tell systemd the server is ready (status text: the URL it listens on)
 * and start the watchdog thread when one is asked for. */
enum mp_status mp_service_ready(struct mp_app *app, const char *url,
                                struct mp_service **out) MP_WUR;
/* Tell systemd the server is stopping, stop the watchdog, free. Accepts
 * NULL (then only the notice is sent). */
void mp_service_stopping(struct mp_service *s);

#endif
