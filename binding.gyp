{
  "targets": [
    {
      "target_name": "fcntl_lock",
      "sources": [
        "lib/native/fcntl_lock.c"
      ]
    },
    {
      "target_name": "rawnet",
      "sources": [
        "lib/native/rawnet.c"
      ]
    },
    {
      "target_name": "ctdb_mutex_fcntl_helper",
      "type": "executable",
      "sources": [
        "lib/native/mutex_fcntl_helper.c"
      ],
      "cflags": [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra"
      ],
      "ldflags": [
        "-pthread"
      ]
    },
    {
      "target_name": "ctdb_fork_server",
      "type": "executable",
      "sources": [
        "lib/native/fork_server.c"
      ],
      "cflags": [
        "-std=gnu11",
        "-O2",
        "-Wall",
        "-Wextra"
      ]
    },
    {
      "target_name": "ctdb",
      "type": "executable",
      "sources": [
        "lib/native/ctdb_front.c"
      ],
      "cflags": [
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra"
      ]
    }
  ]
}
