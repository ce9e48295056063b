select * from diffusion.suivi_completude
