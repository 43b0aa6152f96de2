// anchors.md §4 entry, verbatim.
import OSS from 'ali-oss';
window.OSS = OSS;
