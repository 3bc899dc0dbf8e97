"""Real, well-known iOS apps, for generating realistic simulated iPhones.

Everything here is ordinary: apps that ship with iOS (as installation_proxy lists them with
``ApplicationType: System``) and popular App Store apps. Real bundle identifiers are used on
purpose, so that a simulated iPhone looks like an iPhone. Nothing here is stalkerware, and apps
that are sometimes misused to follow someone (family locators, parental controls, "find my
phone" services other than Apple's own, VPNs) are deliberately left out, so that generated
haystacks never trigger a detection by themselves.

``JAILBREAK_APPS`` lists the public, well-known jailbreak tools and package managers, used only
when a profile asks for jailbreak signs.

Entries are data only; :mod:`stalkerscan.simulator.ios.generate` turns them into apps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogApp:
    """One real app, as far as the simulator needs to know it."""

    bundle_id: str
    """CFBundleIdentifier."""

    name: str
    """CFBundleDisplayName shown under the icon."""

    executable: str
    """CFBundleExecutable (also the ``.app`` folder name)."""

    category: str
    """Drives generated details: background modes, usage descriptions, size."""

    since: tuple[int, int] = (12, 0)
    """First iOS version (major, minor) that has it (system apps only)."""

    until: tuple[int, int] | None = None
    """Last iOS version (major, minor) that has it, if it was removed (system apps only)."""

    hidden: bool = False
    """A system service app without a home-screen icon (``SBAppTags: hidden``)."""


def _sys(bundle_id: str, name: str, executable: str, category: str = "system", *,
         since: tuple[int, int] = (12, 0), until: tuple[int, int] | None = None,
         hidden: bool = False) -> CatalogApp:
    return CatalogApp(bundle_id, name, executable, category, since, until, hidden)


# --------------------------------------------------------------------------- iOS system apps
SYSTEM_APPS: tuple[CatalogApp, ...] = (
    _sys("com.apple.mobilesafari", "Safari", "MobileSafari", "browser"),
    _sys("com.apple.MobileSMS", "Messages", "MobileSMS", "messaging"),
    _sys("com.apple.mobilephone", "Phone", "MobilePhone", "messaging"),
    _sys("com.apple.mobilemail", "Mail", "MobileMail", "messaging"),
    _sys("com.apple.facetime", "FaceTime", "FaceTime", "messaging"),
    _sys("com.apple.camera", "Camera", "Camera", "photo"),
    _sys("com.apple.mobileslideshow", "Photos", "MobileSlideShow", "photo"),
    _sys("com.apple.Preferences", "Settings", "Preferences"),
    _sys("com.apple.AppStore", "App Store", "AppStore"),
    _sys("com.apple.Maps", "Maps", "Maps", "navigation"),
    _sys("com.apple.weather", "Weather", "Weather", "weather"),
    _sys("com.apple.mobilecal", "Calendar", "MobileCal"),
    _sys("com.apple.mobilenotes", "Notes", "MobileNotes"),
    _sys("com.apple.reminders", "Reminders", "Reminders"),
    _sys("com.apple.mobiletimer", "Clock", "MobileTimer"),
    _sys("com.apple.MobileAddressBook", "Contacts", "MobileAddressBook"),
    _sys("com.apple.Health", "Health", "Health", "fitness"),
    _sys("com.apple.Passbook", "Wallet", "Passbook"),
    _sys("com.apple.findmy", "Find My", "FindMy", "navigation", since=(13, 0)),
    _sys("com.apple.Music", "Music", "Music", "music"),
    _sys("com.apple.podcasts", "Podcasts", "Podcasts", "music"),
    _sys("com.apple.tv", "TV", "TV", "video"),
    _sys("com.apple.iBooks", "Books", "Books"),
    _sys("com.apple.news", "News", "News", "news"),
    _sys("com.apple.stocks", "Stocks", "Stocks"),
    _sys("com.apple.calculator", "Calculator", "Calculator"),
    _sys("com.apple.VoiceMemos", "Voice Memos", "VoiceMemos"),
    _sys("com.apple.compass", "Compass", "Compass"),
    _sys("com.apple.measure", "Measure", "Measure"),
    _sys("com.apple.Translate", "Translate", "Translate", since=(14, 0)),
    _sys("com.apple.shortcuts", "Shortcuts", "Shortcuts", since=(13, 0)),
    _sys("com.apple.Home", "Home", "Home"),
    _sys("com.apple.DocumentsApp", "Files", "Files"),
    _sys("com.apple.tips", "Tips", "Tips"),
    _sys("com.apple.Magnifier", "Magnifier", "Magnifier", since=(14, 0)),
    _sys("com.apple.Fitness", "Fitness", "Fitness", "fitness"),
    _sys("com.apple.Bridge", "Watch", "Bridge"),
    _sys("com.apple.freeform", "Freeform", "Freeform", since=(16, 2)),
    _sys("com.apple.journal", "Journal", "Journal", since=(17, 2)),
    _sys("com.apple.MobileStore", "iTunes Store", "MobileStore"),
    _sys("com.apple.mobileme.fmf1", "Find Friends", "FindMyFriends", until=(12, 5)),
    # Service apps without an icon, as installation_proxy lists them.
    _sys("com.apple.AccountAuthenticationDialog", "AccountAuthenticationDialog",
         "AccountAuthenticationDialog", hidden=True),
    _sys("com.apple.AppSSOUIService", "AppSSOUIService", "AppSSOUIService", hidden=True,
         since=(13, 0)),
    _sys("com.apple.AuthKitUIService", "AuthKitUIService", "AuthKitUIService", hidden=True),
    _sys("com.apple.BusinessChatViewService", "BusinessChatViewService",
         "BusinessChatViewService", hidden=True),
    _sys("com.apple.CTCarrierSpaceAuth", "CTCarrierSpaceAuth", "CTCarrierSpaceAuth", hidden=True),
    _sys("com.apple.CheckerBoard", "CheckerBoard", "CheckerBoard", hidden=True),
    _sys("com.apple.CloudKit.ShareBear", "iCloud", "ShareBear", hidden=True),
    _sys("com.apple.DataActivation", "DataActivation", "DataActivation", hidden=True),
    _sys("com.apple.Diagnostics", "Diagnostics", "Diagnostics", hidden=True),
    _sys("com.apple.FontInstallViewService", "FontInstallViewService", "FontInstallViewService",
         hidden=True, since=(13, 0)),
    _sys("com.apple.InCallService", "InCallService", "InCallService", hidden=True),
    _sys("com.apple.MailCompositionService", "MailCompositionService", "MailCompositionService",
         hidden=True),
    _sys("com.apple.MusicUIService", "MusicUIService", "MusicUIService", hidden=True),
    _sys("com.apple.PassbookUIService", "PassbookUIService", "PassbookUIService", hidden=True),
    _sys("com.apple.PhotosViewService", "PhotosViewService", "PhotosViewService", hidden=True),
    _sys("com.apple.PreBoard", "PreBoard", "PreBoard", hidden=True),
    _sys("com.apple.PrintKit.Print-Center", "Print Center", "Print Center", hidden=True),
    _sys("com.apple.SIMSetupUIService", "SIMSetupUIService", "SIMSetupUIService", hidden=True),
    _sys("com.apple.SafariViewService", "SafariViewService", "SafariViewService", hidden=True),
    _sys("com.apple.ScreenSharingViewService", "ScreenSharingViewService",
         "ScreenSharingViewService", hidden=True),
    _sys("com.apple.ScreenshotServicesService", "ScreenshotServicesService",
         "ScreenshotServicesService", hidden=True),
    _sys("com.apple.SharedWebCredentialViewService", "SharedWebCredentialViewService",
         "SharedWebCredentialViewService", hidden=True),
    _sys("com.apple.SharingViewService", "SharingViewService", "SharingViewService", hidden=True),
    _sys("com.apple.StoreDemoViewService", "StoreDemoViewService", "StoreDemoViewService",
         hidden=True),
    _sys("com.apple.TVAccessViewService", "TVAccessViewService", "TVAccessViewService",
         hidden=True),
    _sys("com.apple.TVRemoteUIService", "TVRemoteUIService", "TVRemoteUIService", hidden=True),
    _sys("com.apple.TrustMe", "TrustMe", "TrustMe", hidden=True),
    _sys("com.apple.WebSheet", "Captive Network Assistant", "WebSheet", hidden=True),
    _sys("com.apple.datadetectors.DDActionsService", "DDActionsService", "DDActionsService",
         hidden=True),
    _sys("com.apple.family", "FamilyControlsAuthenticationUI", "Family", hidden=True),
    _sys("com.apple.fieldtest", "Field Test", "FieldTest", hidden=True),
    _sys("com.apple.iCloudDriveApp", "iCloud Drive", "iCloud Drive", hidden=True),
    _sys("com.apple.ios.StoreKitUIService", "StoreKitUIService", "StoreKitUIService", hidden=True),
    _sys("com.apple.mobilesms.compose", "MessagesViewService", "MessagesViewService",
         hidden=True),
    _sys("com.apple.purplebuddy", "Setup", "Setup", hidden=True),
    _sys("com.apple.webapp", "Web", "WebApp", hidden=True),
    _sys("com.apple.Spotlight", "Spotlight", "Spotlight", hidden=True),
    _sys("com.apple.CarPlaySettings", "CarPlay Settings", "CarPlaySettings", hidden=True),
    _sys("com.apple.CarPlayTemplateUIHost", "CarPlayTemplateUIHost", "CarPlayTemplateUIHost",
         hidden=True, since=(13, 0)),
    _sys("com.apple.AXUIViewService", "AXUIViewService", "AXUIViewService", hidden=True),
    _sys("com.apple.HealthPrivacyService", "HealthPrivacyService", "HealthPrivacyService",
         hidden=True),
)

# --------------------------------------------------------------------------- App Store apps
STORE_APPS: tuple[CatalogApp, ...] = (
    # messaging and social
    CatalogApp("net.whatsapp.WhatsApp", "WhatsApp", "WhatsApp", "messaging"),
    CatalogApp("net.whatsapp.WhatsAppSMB", "WA Business", "WhatsAppSMB", "messaging"),
    CatalogApp("com.facebook.Facebook", "Facebook", "Facebook", "social"),
    CatalogApp("com.facebook.Messenger", "Messenger", "Messenger", "messaging"),
    CatalogApp("com.burbn.instagram", "Instagram", "Instagram", "social"),
    CatalogApp("com.burbn.barcelona", "Threads", "Barcelona", "social"),
    CatalogApp("com.atebits.Tweetie2", "X", "Twitter", "social"),
    CatalogApp("com.zhiliaoapp.musically", "TikTok", "TikTok", "video"),
    CatalogApp("com.toyopagroup.picaboo", "Snapchat", "Snapchat", "social"),
    CatalogApp("ph.telegra.Telegraph", "Telegram", "Telegram", "messaging"),
    CatalogApp("org.whispersystems.signal", "Signal", "Signal", "messaging"),
    CatalogApp("com.reddit.Reddit", "Reddit", "Reddit", "social"),
    CatalogApp("com.pinterest", "Pinterest", "Pinterest", "social"),
    CatalogApp("com.linkedin.LinkedIn", "LinkedIn", "LinkedIn", "social"),
    CatalogApp("com.hammerandchisel.discord", "Discord", "Discord", "messaging"),
    CatalogApp("com.viber", "Viber", "Viber", "messaging"),
    CatalogApp("jp.naver.line", "LINE", "LINE", "messaging"),
    CatalogApp("com.tencent.xin", "WeChat", "WeChat", "messaging"),
    CatalogApp("com.skype.skype", "Skype", "Skype", "messaging"),
    CatalogApp("com.tumblr.tumblr", "Tumblr", "Tumblr", "social"),
    CatalogApp("com.groupme.iphone-app", "GroupMe", "GroupMe", "messaging"),
    CatalogApp("com.kik.chat", "Kik", "Kik", "messaging"),
    CatalogApp("com.medium.reader", "Medium", "Medium", "news"),
    CatalogApp("com.yelp.yelpiphone", "Yelp", "Yelp", "navigation"),
    # Google
    CatalogApp("com.google.chrome.ios", "Chrome", "Chrome", "browser"),
    CatalogApp("com.google.Gmail", "Gmail", "Gmail", "messaging"),
    CatalogApp("com.google.Maps", "Google Maps", "GoogleMaps", "navigation"),
    CatalogApp("com.google.ios.youtube", "YouTube", "YouTube", "video"),
    CatalogApp("com.google.ios.youtubemusic", "YouTube Music", "YouTubeMusic", "music"),
    CatalogApp("com.google.GoogleMobile", "Google", "Google", "browser"),
    CatalogApp("com.google.photos", "Google Photos", "Photos", "photo"),
    CatalogApp("com.google.Drive", "Drive", "Drive", "productivity"),
    CatalogApp("com.google.Docs", "Docs", "Docs", "productivity"),
    CatalogApp("com.google.Authenticator", "Authenticator", "Authenticator", "utility"),
    CatalogApp("com.google.Translate", "Translate", "Translate", "utility"),
    CatalogApp("com.google.Chromecast", "Google Home", "Chromecast", "utility"),
    # Microsoft
    CatalogApp("com.microsoft.Office.Outlook", "Outlook", "Outlook", "messaging"),
    CatalogApp("com.microsoft.skype.teams", "Teams", "Teams", "messaging"),
    CatalogApp("com.microsoft.Office.Word", "Word", "Word", "productivity"),
    CatalogApp("com.microsoft.Office.Excel", "Excel", "Excel", "productivity"),
    CatalogApp("com.microsoft.Office.Powerpoint", "PowerPoint", "PowerPoint", "productivity"),
    CatalogApp("com.microsoft.skydrive", "OneDrive", "OneDrive", "productivity"),
    CatalogApp("com.microsoft.onenote", "OneNote", "OneNote", "productivity"),
    CatalogApp("com.microsoft.msedge", "Edge", "Edge", "browser"),
    CatalogApp("com.microsoft.azureauthenticator", "Authenticator", "Authenticator", "utility"),
    # Apple's App Store apps
    CatalogApp("com.apple.Pages", "Pages", "Pages", "productivity"),
    CatalogApp("com.apple.Numbers", "Numbers", "Numbers", "productivity"),
    CatalogApp("com.apple.Keynote", "Keynote", "Keynote", "productivity"),
    CatalogApp("com.apple.iMovie", "iMovie", "iMovie", "video"),
    CatalogApp("com.apple.mobilegarageband", "GarageBand", "MobileGarageBand", "music"),
    CatalogApp("com.apple.TestFlight", "TestFlight", "TestFlight", "utility"),
    CatalogApp("com.apple.store.Jolly", "Apple Store", "Apple Store", "shopping"),
    CatalogApp("com.apple.supportapp", "Support", "Support", "utility"),
    # shopping, food and travel
    CatalogApp("com.amazon.Amazon", "Amazon", "Amazon", "shopping"),
    CatalogApp("com.ebay.iphone", "eBay", "eBay", "shopping"),
    CatalogApp("com.etsy.etsyforios", "Etsy", "Etsy", "shopping"),
    CatalogApp("com.contextlogic.Wish", "Wish", "Wish", "shopping"),
    CatalogApp("com.alibaba.iAliexpress", "AliExpress", "AliExpress", "shopping"),
    CatalogApp("com.starbucks.mystarbucks", "Starbucks", "Starbucks", "shopping"),
    CatalogApp("com.ubercab.UberClient", "Uber", "Helix", "navigation"),
    CatalogApp("com.ubercab.UberEats", "Uber Eats", "Eats", "shopping"),
    CatalogApp("com.zimride.instant", "Lyft", "Lyft", "navigation"),
    CatalogApp("com.airbnb.app", "Airbnb", "Airbnb", "travel"),
    CatalogApp("com.booking.BookingApp", "Booking.com", "Booking", "travel"),
    CatalogApp("com.waze.iphone", "Waze", "Waze", "navigation"),
    # money
    CatalogApp("com.yourcompany.PPClient", "PayPal", "PPClient", "finance"),
    CatalogApp("com.venmo.TouchFree", "Venmo", "Venmo", "finance"),
    CatalogApp("com.squareup.cash", "Cash App", "Cash", "finance"),
    CatalogApp("com.revolut.revolut", "Revolut", "Revolut", "finance"),
    CatalogApp("com.chase", "Chase", "Chase", "finance"),
    CatalogApp("com.vilcsak.bitcoin2", "Coinbase", "Coinbase", "finance"),
    # media
    CatalogApp("com.spotify.client", "Spotify", "Spotify", "music"),
    CatalogApp("com.netflix.Netflix", "Netflix", "Argo", "video"),
    CatalogApp("com.disney.disneyplus", "Disney+", "Disney", "video"),
    CatalogApp("com.hulu.plus", "Hulu", "Hulu", "video"),
    CatalogApp("com.amazon.aiv.AIVApp", "Prime Video", "AIVApp", "video"),
    CatalogApp("com.soundcloud.TouchApp", "SoundCloud", "SoundCloud", "music"),
    CatalogApp("com.shazam.Shazam", "Shazam", "Shazam", "music"),
    CatalogApp("com.pandora", "Pandora", "Pandora", "music"),
    CatalogApp("com.deezer.Deezer", "Deezer", "Deezer", "music"),
    CatalogApp("tv.twitch", "Twitch", "Twitch", "video"),
    CatalogApp("com.plexapp.plex", "Plex", "Plex", "video"),
    CatalogApp("com.audible.iphone", "Audible", "Audible", "music"),
    CatalogApp("com.amazon.Lassen", "Kindle", "Lassen", "reading"),
    CatalogApp("com.amazon.echo", "Amazon Alexa", "Alexa", "utility"),
    # productivity and tools
    CatalogApp("com.getdropbox.Dropbox", "Dropbox", "Dropbox", "productivity"),
    CatalogApp("com.evernote.iPhone.Evernote", "Evernote", "Evernote", "productivity"),
    CatalogApp("com.tinyspeck.chatlyio", "Slack", "Slack", "messaging"),
    CatalogApp("us.zoom.videomeetings", "Zoom", "Zoom", "messaging"),
    CatalogApp("notion.id", "Notion", "Notion", "productivity"),
    CatalogApp("com.lastpass.ilastpass", "LastPass", "LastPass", "utility"),
    CatalogApp("com.adobe.Adobe-Reader", "Adobe Acrobat", "Adobe Reader", "productivity"),
    CatalogApp("com.readdle.ReaddleDocsIPad", "Documents", "Documents", "productivity"),
    CatalogApp("com.ookla.speedtest", "Speedtest", "Speedtest", "utility"),
    CatalogApp("com.weather.TWC", "The Weather Channel", "TWC", "weather"),
    CatalogApp("com.canva.canvaeditor", "Canva", "Canva", "photo"),
    CatalogApp("com.adobe.lrmobile", "Lightroom", "Lightroom", "photo"),
    CatalogApp("com.adobe.PSMobile", "Photoshop Express", "PSExpress", "photo"),
    CatalogApp("com.lemon.lvoverseas", "CapCut", "CapCut", "video"),
    CatalogApp("com.vsco.vscocam", "VSCO", "VSCO", "photo"),
    CatalogApp("org.mozilla.ios.Firefox", "Firefox", "Client", "browser"),
    CatalogApp("com.duckduckgo.mobile.ios", "DuckDuckGo", "DuckDuckGo", "browser"),
    CatalogApp("com.brave.ios.browser", "Brave", "Client", "browser"),
    CatalogApp("ch.protonmail.protonmail", "Proton Mail", "ProtonMail", "messaging"),
    # health, learning, news
    CatalogApp("com.duolingo.DuolingoMobile", "Duolingo", "Duolingo", "learning"),
    CatalogApp("com.quizlet.quizletapp", "Quizlet", "Quizlet", "learning"),
    CatalogApp("com.instructure.icanvas", "Canvas Student", "Student", "learning"),
    CatalogApp("com.calm.calmapp", "Calm", "Calm", "fitness"),
    CatalogApp("com.getsomeheadspace.headspace", "Headspace", "Headspace", "fitness"),
    CatalogApp("com.strava.stravaride", "Strava", "Strava", "fitness"),
    CatalogApp("com.myfitnesspal.mfp", "MyFitnessPal", "MyFitnessPal", "fitness"),
    CatalogApp("com.nike.nikeplus-gps", "Nike Run Club", "NikePlus", "fitness"),
    CatalogApp("com.fitbit.FitbitMobile", "Fitbit", "FitbitMobile", "fitness"),
    CatalogApp("com.garmin.connect.mobile", "Garmin Connect", "Connect", "fitness"),
    CatalogApp("com.nytimes.NYTimes", "NYTimes", "NYTimes", "news"),
    CatalogApp("com.cnn.iphone", "CNN", "CNN", "news"),
    # games
    CatalogApp("com.king.candycrushsaga", "Candy Crush", "CandyCrushSaga", "game"),
    CatalogApp("com.supercell.magic", "Clash of Clans", "Clash of Clans", "game"),
    CatalogApp("com.supercell.scroll", "Clash Royale", "Clash Royale", "game"),
    CatalogApp("com.supercell.laser", "Brawl Stars", "Brawl Stars", "game"),
    CatalogApp("com.roblox.robloxmobile", "Roblox", "Roblox", "game"),
    CatalogApp("com.mojang.minecraftpe", "Minecraft", "minecraftpe", "game"),
    CatalogApp("com.nianticlabs.pokemongo", "Pokémon GO", "pokemongo", "game"),
    CatalogApp("com.innersloth.amongus", "Among Us!", "amongus", "game"),
    CatalogApp("com.kiloo.subwaysurfers", "Subway Surfers", "SubwaySurf", "game"),
    CatalogApp("com.rovio.baba", "Angry Birds 2", "AngryBirds2", "game"),
    CatalogApp("com.miniclip.8ballpoolmult", "8 Ball Pool", "8BallPool", "game"),
    CatalogApp("com.tencent.ig", "PUBG MOBILE", "ShadowTrackerExtra", "game"),
    CatalogApp("com.activision.callofduty.shooter", "Call of Duty", "CODM", "game"),
)

# --------------------------------------------------------------------------- jailbreak signs
# Public, well-known jailbreak tools and package managers (names as their projects publish
# them). Only added to a simulated phone when its profile asks for jailbreak signs.
JAILBREAK_APPS: dict[str, CatalogApp] = {
    "cydia": CatalogApp("com.saurik.Cydia", "Cydia", "Cydia", "jailbreak"),
    "sileo": CatalogApp("org.coolstar.SileoStore", "Sileo", "Sileo", "jailbreak"),
    "zebra": CatalogApp("xyz.willy.Zebra", "Zebra", "Zebra", "jailbreak"),
    "unc0ver": CatalogApp("science.xnu.undecimus", "unc0ver", "undecimus", "jailbreak"),
    "trollstore": CatalogApp("com.opa334.TrollStore", "TrollStore", "TrollStore", "jailbreak"),
    "filza": CatalogApp("com.tigisoftware.Filza", "Filza", "Filza", "jailbreak"),
}
"""Short name (used in profiles) to app."""


def system_apps_for(ios_version: str) -> tuple[CatalogApp, ...]:
    """The system apps an iPhone on ``ios_version`` (``"17.5.1"``) has."""
    parts = tuple(int(p) for p in ios_version.split(".")[:2])
    major_minor = (parts[0], parts[1] if len(parts) > 1 else 0)
    return tuple(app for app in SYSTEM_APPS
                 if app.since <= major_minor and (app.until is None or major_minor <= app.until))
