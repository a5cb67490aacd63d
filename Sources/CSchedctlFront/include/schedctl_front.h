#ifndef SCHEDCTL_FRONT_H
#define SCHEDCTL_FRONT_H

// The client's side of a handoff (schedctl_handoff.h) has no interface: it is a constructor that runs
// before main in the schedctl executable (schedctl_front.c).

#endif
