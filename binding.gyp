{
  "targets": [
    {
      "target_name": "fcntl_lock",
      "sources": ["lib/native/fcntl_lock.c"]
    },
    {
      "target_name": "rawnet",
      "sources": ["lib/native/rawnet.c"]
    }
  ]
}
