// Tests name HTTP methods and headers; re-export their module with the helpers.
@_exported import NIOHTTP1
