"""QR codes for posts: signed payloads, QR images and printable posters."""
