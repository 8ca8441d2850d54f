// SPDX-License-Identifier: MIT
#include "termios2.hpp"

#include <cerrno>

#include <asm/termbits.h>
#include <sys/ioctl.h>

namespace rcls::arm::detail {

int set_termios2_speed(int fd, int baud_rate) {
    struct termios2 settings {};
    if (::ioctl(fd, TCGETS2, &settings) != 0) return errno;
    settings.c_cflag &= ~static_cast<tcflag_t>(CBAUD | (CBAUD << IBSHIFT));
    settings.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
    settings.c_ispeed = static_cast<speed_t>(baud_rate);
    settings.c_ospeed = static_cast<speed_t>(baud_rate);
    if (::ioctl(fd, TCSETS2, &settings) != 0) return errno;
    return 0;
}

int get_termios2_speed(int fd) {
    struct termios2 settings {};
    if (::ioctl(fd, TCGETS2, &settings) != 0) return 0;
    return static_cast<int>(settings.c_ospeed);
}

}  // namespace rcls::arm::detail
