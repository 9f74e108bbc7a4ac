// LdapWriteBuffer; see ldap_write_buffer.h.
#include "table/ldap/ldap_write_buffer.h"

#include <poll.h>

#include <cerrno>

namespace mctable {

struct LdapWriteBufferLayer {
  static int Setup(Sockbuf_IO_Desc* sbiod, void* arg) {
    auto* buffer = static_cast<LdapWriteBuffer*>(arg);
    buffer->below_ = sbiod;
    sbiod->sbiod_pvt = buffer;
    return 0;
  }
  static int Remove(Sockbuf_IO_Desc* sbiod) {
    delete static_cast<LdapWriteBuffer*>(sbiod->sbiod_pvt);
    sbiod->sbiod_pvt = nullptr;
    return 0;
  }
  static int Ctrl(Sockbuf_IO_Desc* sbiod, int opt, void* arg) { return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg); }
  static ber_slen_t Read(Sockbuf_IO_Desc* sbiod, void* buf, ber_len_t len) {
    return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
  }
  static ber_slen_t Write(Sockbuf_IO_Desc* sbiod, void* buf, ber_len_t len) {
    static_cast<LdapWriteBuffer*>(sbiod->sbiod_pvt)->held_.append(static_cast<const char*>(buf), len);
    return static_cast<ber_slen_t>(len);
  }
  // An unbind is the last thing written before the socket closes.
  static int Close(Sockbuf_IO_Desc* sbiod) {
    static_cast<LdapWriteBuffer*>(sbiod->sbiod_pvt)->Flush(1);
    return 0;
  }
};

namespace {

Sockbuf_IO kLayer = {LdapWriteBufferLayer::Setup, LdapWriteBufferLayer::Remove, LdapWriteBufferLayer::Ctrl,
                     LdapWriteBufferLayer::Read,  LdapWriteBufferLayer::Write,  LdapWriteBufferLayer::Close};

}  // namespace

LdapWriteBuffer* LdapWriteBuffer::Install(Sockbuf* sb) {
  auto* buffer = new LdapWriteBuffer();
  if (ber_sockbuf_add_io(sb, &kLayer, LBER_SBIOD_LEVEL_PROVIDER, buffer) != 0) {
    delete buffer;
    return nullptr;
  }
  return buffer;
}

bool LdapWriteBuffer::Flush(int timeout_seconds) {
  size_t done = 0;
  while (done < held_.size()) {
    ber_slen_t n = LBER_SBIOD_WRITE_NEXT(below_, held_.data() + done, held_.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    ber_socket_t fd = -1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        LBER_SBIOD_CTRL_NEXT(below_, LBER_SB_OPT_GET_FD, &fd) == 1) {
      pollfd writable{fd, POLLOUT, 0};
      if (poll(&writable, 1, timeout_seconds * 1000) > 0) continue;
      errno = ETIMEDOUT;
    }
    held_.clear();
    return false;
  }
  held_.clear();
  return true;
}

}  // namespace mctable
