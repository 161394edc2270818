/* SPDX-License-Identifier: MIT */
#ifndef USTACK_VERSION_H
#define USTACK_VERSION_H
#define USTACK_VERSION "0.1.0"
#endif
